"""Verifies the DKIM signatures of a message with dkimpy (Debian python3-dkim),
an implementation independent of Empath's, for the interop tests.

Usage: dkimpy_verify.py NAME_SERVER_HOST:PORT < message

Public keys are looked up as TXT records with dnspython at the given name
server (dkimpy's own lookup uses the system resolver). Prints one line per
DKIM-Signature field, top first: "<index> pass|fail d=<domain> s=<selector>";
exits 0 when every signature verifies, 1 otherwise (2 without any signature).
"""
import sys

import dkim
import dns.resolver


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port)

    def dnsfunc(name, timeout=5):
        try:
            answer = resolver.resolve(name.decode("ascii").rstrip("."), "TXT", lifetime=timeout)
        except dns.exception.DNSException:
            return None
        # RFC 6376 3.6.2.2: the strings of one TXT record are joined without separators.
        return b"".join(answer[0].strings)

    message = sys.stdin.buffer.read()
    verifier = dkim.DKIM(message)
    count = sum(1 for name, _ in verifier.headers if name.lower() == b"dkim-signature")
    if count == 0:
        print("no DKIM-Signature field")
        return 2
    failed = 0
    for index in range(count):
        verifier = dkim.DKIM(message)
        try:
            ok = verifier.verify(idx=index, dnsfunc=dnsfunc)
        except dkim.DKIMException as error:
            ok = False
            print(f"{index} error {error}", file=sys.stderr)
        domain = (verifier.domain or b"").decode()
        selector = (verifier.selector or b"").decode()
        print(f"{index} {'pass' if ok else 'fail'} d={domain} s={selector}")
        failed += 0 if ok else 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
