// The web bridge's access token (crates/api/src/web/access.rs): each start
// of `fjordsync-app --bridge` prints a link with a new one,
// http://127.0.0.1:PORT/#token=…, and every API call must carry it. The page
// takes it from the address, removes it from there (out of the history, the
// screen and screenshots), and keeps it in sessionStorage for this tab only,
// so a reload keeps working and a new tab needs the link again.

const STORAGE_KEY = "fjordsync.bridgeToken";
const PARAM = "token";

/** The token from the link this page was opened with, else the one kept for this tab, else null. */
export function takeBridgeToken(win: Window = window): string | null {
  const url = new URL(win.location.href);
  const hash = new URLSearchParams(url.hash.slice(1));
  // `#token=` is what the bridge prints; `?token=` (Jupyter's form) works too.
  const fromLink = hash.get(PARAM) ?? url.searchParams.get(PARAM);
  if (fromLink !== null) {
    hash.delete(PARAM);
    url.searchParams.delete(PARAM);
    url.hash = hash.toString();
    win.history.replaceState(win.history.state, "", url.toString());
  }
  const token = fromLink?.trim() || null;
  try {
    if (token) win.sessionStorage.setItem(STORAGE_KEY, token);
    return token ?? win.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be switched off; the token still works until a reload.
    return token;
  }
}
