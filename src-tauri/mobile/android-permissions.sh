#!/usr/bin/env bash
# Adds the app's permissions (mobile/android/permissions.xml) to the Android
# manifest that `tauri android init` generated, once: run it again and
# nothing changes. Usage: src-tauri/mobile/android-permissions.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
manifest="$here/../gen/android/app/src/main/AndroidManifest.xml"
[ -f "$manifest" ] || { echo "no $manifest: run 'cargo tauri android init' first" >&2; exit 1; }
if grep -q 'android.permission.BLUETOOTH_SCAN' "$manifest"; then
  echo "permissions already in $manifest"
  exit 0
fi
python3 - "$manifest" "$here/android/permissions.xml" <<'PY'
import sys
manifest, permissions = sys.argv[1], sys.argv[2]
text = open(manifest, encoding="utf-8").read()
lines = [l for l in open(permissions, encoding="utf-8").read().splitlines()]
# Keep the permission elements and their comments, not the file's header.
body = "\n".join(lines[lines.index(next(l for l in lines if l.strip().startswith("<!-- Bluetooth"))):])
at = text.index(">", text.index("<manifest")) + 1
open(manifest, "w", encoding="utf-8").write(text[:at] + "\n" + body + "\n" + text[at:])
PY
echo "permissions added to $manifest"
