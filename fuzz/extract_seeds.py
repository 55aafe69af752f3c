#!/usr/bin/env python3
"""Write fuzz/seeds/<target>/ from the protocol reference's samples.

Run by scripts/fuzz.sh when the reference is there (../shared/docs or
$FJORDSYNC_API_REFERENCE); the committed seeds are its last output, so the
fuzz run works without the reference too. Each seed is a sample copied
verbatim (code blocks of the reference, names of its tables), plus a few
replies a wrong address gives (a web page, binary garbage).
"""
import base64
import hashlib
import os
import re
import sys

ref = sys.argv[1]
out = sys.argv[2]
text = open(ref, encoding="utf-8").read()
blocks = re.findall(r"```(\w*)\n(.*?)```", text, re.S)
seeds = {t: [] for t in ["jfs_xml", "liststream", "api_json", "error_body", "login_token", "names"]}

WEB_PAGE = b"<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>\n<body><h1>It works</h1></body></html>\n"
GARBAGE = bytes(range(256))


def status(code, body):
    """error_body seeds start with the status as (code - 100), big-endian."""
    return (code - 100).to_bytes(2, "big") + body


for lang, body in blocks:
    b = body.encode("utf-8")
    if lang == "xml":
        if "<filetree" in body:
            seeds["liststream"].append(b)
        elif "<error" in body:
            seeds["error_body"].append(status(404, b))
            seeds["jfs_xml"].append(b)
        else:
            seeds["jfs_xml"].append(b)
    elif lang == "json":
        if '"auth_token"' in body:
            seeds["login_token"].append(base64.urlsafe_b64encode(b.strip()).rstrip(b"="))
            seeds["login_token"].append(base64.b64encode(b.strip()))
        elif '"code"' in body or '"error_id"' in body:
            seeds["error_body"].append(status(420, b))
            seeds["api_json"].append(b)
        else:
            seeds["api_json"].append(b)

# OAuth error replies as the reference's table gives them (error, description).
for code, error, desc in re.findall(r"\| (\d{3}) \| `(\w+)` \| `([^`]+)`", text):
    reply = '{"error":"%s","error_description":"%s"}' % (error, desc)
    seeds["error_body"].append(status(int(code), reply.encode()))

# Names of the reference's escaping and look-alike tables.
for name in re.findall(r"^\| `([^`|]+)`", text, re.M):
    seeds["names"].append(name.encode("utf-8"))
seeds["names"] += [b"bad\xff", b"\xe2\x82", "\u201b\uff0e".encode(), "q\u201b".encode(), b"\x00\x7f"]

# What a wrong address answers.
seeds["api_json"] += [WEB_PAGE, GARBAGE]
seeds["jfs_xml"] += [WEB_PAGE, GARBAGE]
seeds["error_body"] += [status(404, WEB_PAGE), status(502, WEB_PAGE), status(404, GARBAGE)]
seeds["liststream"] += [WEB_PAGE]

for target, items in seeds.items():
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    for item in items:
        name = hashlib.sha1(item).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(item)
    print(f"{target}: {len(items)} seeds")
