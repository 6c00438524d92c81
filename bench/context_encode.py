"""The peer for bench/cloud-init-context.mjs: what the original
stratus-prepare-context and cloud-init's own tools do to build a cloud-init
context: email.mime for the multipart message, gzip, base64.

usage: python3 context_encode.py KEYFILE SCRIPT SECONDS -> prints contexts/s
"""
import base64, gzip, sys, time
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText


def build(key_text, script, name):
    keys = "\n".join(l.strip() for l in key_text.splitlines() if l.strip() and not l.startswith("#")) + "\n"
    msg = MIMEMultipart()
    part = MIMEText(script, "x-shellscript")
    part.add_header("Content-Disposition", "attachment", filename=name)
    msg.attach(part)
    user_data = gzip.compress(msg.as_string().encode(), compresslevel=9, mtime=0)
    return ("CONTEXT_METHOD=cloud-init\n"
            "CLOUD_INIT_AUTHORIZED_KEYS=" + base64.b64encode(keys.encode()).decode() + "\n"
            "CLOUD_INIT_USER_DATA=" + base64.b64encode(user_data).decode() + "\n")


def main():
    key_text = open(sys.argv[1]).read()
    script = open(sys.argv[2]).read()
    seconds = float(sys.argv[3])
    n = 0
    start = time.perf_counter()
    while True:
        for _ in range(100):
            build(key_text, script, "run.sh")
        n += 100
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    print(n / elapsed)


main()
