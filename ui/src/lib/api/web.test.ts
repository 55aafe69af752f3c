import { afterEach, describe, expect, it, vi } from "vitest";
import { takeBridgeToken } from "./bridge-token";
import { webBackend } from "./web";
import { ApiError } from "./types";

afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
  history.replaceState(null, "", "/");
});

describe("the bridge's access token", () => {
  it("comes from the printed link, leaves the address bar and stays for this tab", () => {
    history.replaceState(null, "", "/#token=c0ffee");
    expect(takeBridgeToken()).toBe("c0ffee");
    expect(location.href).not.toContain("token");
    expect(location.hash).toBe("");
    // A reload (no token in the address any more) keeps it.
    expect(takeBridgeToken()).toBe("c0ffee");
  });

  it("also takes Jupyter's ?token= and keeps the rest of the address", () => {
    history.replaceState(null, "", "/?token=beef&x=1");
    expect(takeBridgeToken()).toBe("beef");
    expect(location.search).toBe("?x=1");
  });

  it("is null on a page opened without the link", () => {
    history.replaceState(null, "", "/");
    expect(takeBridgeToken()).toBeNull();
  });
});

describe("webBackend", () => {
  it("without a token: fails with `unauthorized` and calls nothing", async () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    const err = await webBackend("", null).listStorages().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("unauthorized");
    expect(fetch).not.toHaveBeenCalled();
  });

  it("sends the token with every call, and passes the bridge's 401 on", async () => {
    const fetch = vi.fn(async (_url: string, init: RequestInit) => {
      const auth = new Headers(init.headers).get("Authorization");
      return auth === "Bearer right"
        ? new Response("[]", { status: 200 })
        : new Response(JSON.stringify({ code: "unauthorized", message: "the access token does not match" }), {
            status: 401,
          });
    });
    vi.stubGlobal("fetch", fetch);
    expect(await webBackend("", "right").listStorages()).toEqual([]);
    const err = await webBackend("", "stale").listStorages().catch((e: unknown) => e);
    expect((err as ApiError).code).toBe("unauthorized");
  });
});
