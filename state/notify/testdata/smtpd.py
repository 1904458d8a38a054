"""A test SMTP receiver for ptpwatch: aiosmtpd with TLS (STARTTLS or
implicit) and authentication, storing each message it accepts as a file.

usage: smtpd.py MODE PORT CERT KEY OUTDIR USER PASSWORD
MODE is starttls (STARTTLS required before AUTH and MAIL) or tls
(implicit TLS). Prints READY when it listens; runs until SIGTERM.
"""
import signal
import ssl
import sys
import threading
import os

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

mode, port, cert, key, outdir, user, password = sys.argv[1:8]
count = 0
lock = threading.Lock()


class Store:
    async def handle_DATA(self, server, session, envelope):
        global count
        with lock:
            count += 1
            n = count
        name = os.path.join(outdir, "%06d.eml" % n)
        with open(name + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(name + ".tmp", name)
        return "250 stored"


def check(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login.decode() == user
          and auth_data.password.decode() == password)
    return AuthResult(success=ok, handled=False)


ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
common = dict(hostname="127.0.0.1", port=int(port), authenticator=check,
              auth_require_tls=True, auth_required=True)
if mode == "starttls":
    ctl = Controller(Store(), tls_context=ctx, require_starttls=True, **common)
else:
    # With implicit TLS every session is encrypted from the start;
    # aiosmtpd only tracks STARTTLS, so it must not demand that.
    common["auth_require_tls"] = False
    ctl = Controller(Store(), ssl_context=ctx, **common)
ctl.start()
print("READY", flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: stop.set())
stop.wait()
ctl.stop()
