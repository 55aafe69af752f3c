// Component tests run in happy-dom. Unmount after each test (testing-library's
// vitest hook) and use English (the dictionaries pick from navigator.languages).
import "@testing-library/svelte/vitest";
import { setLocale } from "./lib/i18n/index.svelte";

setLocale("en");
