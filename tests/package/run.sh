#!/usr/bin/env bash
# The Linux package as a user gets it: installs the .deb on this machine with
# apt (as a user would), then checks what the package put there and starts
# the INSTALLED app under Xvfb:
#  - the desktop entry is valid, its Exec is the installed app, its Icon is
#    an installed icon;
#  - the installed app opens its window (found by title) and its tray icon,
#    with a fresh home and a real Secret Service;
#  - the `fjordsync` command, its manual page and its shell completions work;
#  - removing the package removes every file it installed.
# The .rpm is checked for the same files (rpm -qlp) where rpm is present.
# Usage (what scripts/test.sh runs, under dbus-run-session + xvfb-run):
#   bash tests/package/run.sh target/debug/bundle/deb/Fjordsync_*.deb
# Needs root or sudo (it installs and then removes the package "fjordsync").
set -euo pipefail
DEB="$(realpath "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
ART="$HERE/../e2e/artifacts"
mkdir -p "$ART"
SUDO=""
[[ "$(id -u)" == 0 ]] || SUDO="sudo"
PKG="$(dpkg-deb -f "$DEB" Package)"
fail() { echo "FAIL package: $*" >&2; exit 1; }
# Mounting a storage folder as a folder needs fusermount3 for a user who is not root.
dpkg-deb -f "$DEB" Depends | grep -qw fuse3 || fail "the package does not depend on fuse3 (mounts need fusermount3)"

if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q "install ok installed"; then
  fail "a package named $PKG is already installed here; remove it first (apt remove $PKG)"
fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q "$PKG" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# --- install, as a user would -------------------------------------------------
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$DEB" >/dev/null \
  || fail "apt could not install $DEB"
mapfile -t files < <(dpkg -L "$PKG")
echo "ok   package: $PKG $(dpkg-deb -f "$DEB" Version) installed (${#files[@]} paths)"

# --- what it put there --------------------------------------------------------
DESKTOP="$(printf '%s\n' "${files[@]}" | grep '^/usr/share/applications/.*\.desktop$' | head -1)"
[[ -n "$DESKTOP" ]] || fail "no desktop entry under /usr/share/applications"
desktop-file-validate "$DESKTOP" || fail "the desktop entry $DESKTOP is not valid (see above)"
entry() { sed -n "s/^$1=//p" "$DESKTOP" | head -1; }
EXEC="$(entry Exec | awk '{print $1}')"
EXEC_PATH="$(command -v "$EXEC")" || fail "the desktop entry starts '$EXEC', which is not on PATH"
[[ "$(dirname "$EXEC_PATH")" == /usr/bin ]] || fail "the desktop entry starts $EXEC_PATH, not the installed app"
printf '%s\n' "${files[@]}" | grep -qx "$EXEC_PATH" || fail "$EXEC_PATH is not from the package"
ICON="$(entry Icon)"
ICONS="$(printf '%s\n' "${files[@]}" | grep -E "^/usr/share/icons/hicolor/[0-9x@]+/apps/$ICON\.png$" || true)"
[[ -n "$ICONS" ]] || fail "the desktop entry's icon '$ICON' is not installed under /usr/share/icons/hicolor"
for f in $ICONS; do
  file -b "$f" | grep -q "PNG image data" || fail "$f is not a PNG"
done
[[ "$(entry Name)" == Fjordsync ]] || fail "the desktop entry is named '$(entry Name)'"
echo "ok   package: desktop entry $(basename "$DESKTOP") is valid, starts $EXEC_PATH, icon $ICON in $(echo "$ICONS" | wc -l) sizes"

# --- the command, its manual and completions -----------------------------------
[[ "$(command -v fjordsync)" == /usr/bin/fjordsync ]] || fail "fjordsync is not installed in /usr/bin"
fjordsync --version | grep -q '^fjordsync ' || fail "fjordsync --version printed: $(fjordsync --version)"
MAN=/usr/share/man/man1/fjordsync.1.gz
[[ -f "$MAN" ]] || fail "no manual page $MAN"
zcat "$MAN" | grep -q '^\.TH fjordsync' || fail "$MAN is not a manual page"
[[ -f /usr/share/man/man1/fjordsync-sync.1.gz ]] || fail "no manual page for 'fjordsync sync'"
BASH_COMP=/usr/share/bash-completion/completions/fjordsync
[[ -f "$BASH_COMP" ]] || fail "no bash completion"
words="$(bash -c "source '$BASH_COMP'; COMP_WORDS=(fjordsync sy); COMP_CWORD=1; COMP_LINE='fjordsync sy'; COMP_POINT=\${#COMP_LINE}; _fjordsync fjordsync sy fjordsync; printf '%s\n' \"\${COMPREPLY[@]}\"")"
grep -qx sync <<<"$words" || fail "bash completion of 'fjordsync sy' gave: $words"
[[ -f /usr/share/zsh/vendor-completions/_fjordsync && -f /usr/share/fish/vendor_completions.d/fjordsync.fish ]] \
  || fail "zsh or fish completion missing"
echo "ok   package: fjordsync command, manual pages and bash/zsh/fish completions installed and working"

# --- start the installed app as the desktop entry does --------------------------
export HOME="$(mktemp -d)"
export FJORDSYNC_CONFIG_DIR="$HOME/config" FJORDSYNC_DATA_DIR="$HOME/data"
echo "ci-keyring-pass" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
(cd "$HOME" && exec "$EXEC_PATH") >"$ART/package-app.log" 2>&1 &
APID=$!
pids+=("$APID")
ok=""
for _ in $(seq 1 150); do
  if xwininfo -root -tree 2>/dev/null | grep -q '"Fjordsync": ("fjordsync-app"'; then ok=1; break; fi
  kill -0 "$APID" 2>/dev/null || break
  sleep 0.2
done
[[ -n "$ok" ]] || { cat "$ART/package-app.log" >&2; fail "the installed app's window did not appear"; }
sleep 3
xwininfo -root -tree | grep -q 'tray-icon tray app main-tray' || fail "the installed app shows no tray icon"
import -window root "$ART/package-app.png"
# The window shows the UI (not an error page): its screenshot has many colours.
colours="$(convert "$ART/package-app.png" -format '%k' info:)"
(( colours > 50 )) || fail "the installed app's window looks empty ($colours colours; see $ART/package-app.png)"
kill "$APID"; wait "$APID" 2>/dev/null || true
echo "ok   package: the installed app opens its window and tray icon ($colours colours on screen)"

# --- removal leaves nothing behind ----------------------------------------------
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q "$PKG" >/dev/null || fail "apt could not remove $PKG"
for f in "${files[@]}"; do
  [[ -f "$f" || -L "$f" ]] && fail "$f is still there after removing the package"
done
echo "ok   package: removing it removes every file it installed"

RPM="$(ls "$(dirname "$DEB")"/../rpm/*.rpm 2>/dev/null | head -1 || true)"
if [[ -n "$RPM" ]] && command -v rpm >/dev/null; then
  listed="$(rpm -qlp "$RPM" 2>/dev/null)"
  for f in /usr/bin/fjordsync-app /usr/bin/fjordsync /usr/share/man/man1/fjordsync.1.gz; do
    grep -qx "$f" <<<"$listed" || fail "the rpm does not carry $f"
  done
  echo "ok   package: the .rpm carries the app, the command and the manual"
fi
