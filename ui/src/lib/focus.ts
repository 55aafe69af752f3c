// Keyboard focus for what opens over or into a screen: a dialog takes the
// focus, keeps Tab inside, closes on Escape and gives the focus back to the
// control that opened it; a form that opens takes the focus in its first
// field. Svelte actions (`use:modal`, `use:focusFirst`), so a component keeps
// its own markup.

const FOCUSABLE =
  'button:not([disabled]), [href], input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** The elements of `node` that Tab stops at, in order (the visible ones). */
export function tabStops(node: HTMLElement): HTMLElement[] {
  return [...node.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0);
}

/**
 * Remembers what has the focus now and returns a function that puts it back
 * there, if that element is still on the page (a confirmed delete may have
 * removed it; then the focus stays where the page put it).
 */
export function rememberFocus(): () => void {
  const opener = document.activeElement;
  return () => {
    if (opener instanceof HTMLElement && opener.isConnected && document.activeElement !== opener) opener.focus();
  };
}

/**
 * A dialog that is not a native `<dialog>` (the storage folder picker): the
 * focus moves into it, Tab and Shift+Tab go round inside it, Escape calls
 * `onescape`, and when it closes the focus returns to its opener.
 */
export function modal(node: HTMLElement, onescape: () => void) {
  let escape = onescape;
  const restore = rememberFocus();
  const keydown = (e: KeyboardEvent): void => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      escape();
      return;
    }
    if (e.key !== "Tab") return;
    const stops = tabStops(node);
    if (stops.length === 0) {
      e.preventDefault();
      return;
    }
    const first = stops[0]!;
    const last = stops[stops.length - 1]!;
    const inside = node.contains(document.activeElement);
    if (e.shiftKey && (document.activeElement === first || !inside)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
      e.preventDefault();
      first.focus();
    }
  };
  node.addEventListener("keydown", keydown);
  // The content may still be loading: focus the first stop there is, else the dialog itself.
  queueMicrotask(() => (tabStops(node)[0] ?? node).focus());
  return {
    update(next: () => void) {
      escape = next;
    },
    destroy() {
      node.removeEventListener("keydown", keydown);
      restore();
    },
  };
}

/** Focuses the first field of a form that just opened (where the user types next). */
export function focusFirst(node: HTMLElement) {
  queueMicrotask(() => tabStops(node)[0]?.focus());
}

/**
 * A panel the user just opened below the cards (a task's conflicts, its
 * files that could not sync) may start off screen: it is brought into view,
 * no further than needed. Only for what opens at a click (not the task log,
 * which is drawn again when a run ends: it must not pull the page away).
 */
export function reveal(node: HTMLElement) {
  queueMicrotask(() => node.scrollIntoView?.({ block: "nearest" }));
}
