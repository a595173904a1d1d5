"""A real OpenLDAP server for the directory sign-in tests.

Debian's ``slapd`` runs on a free loopback port with a throw-away ``slapd.conf``
(mdb backend), a test tree loaded with ``slapadd`` and a certificate from a private
CA made here with ``cryptography``, so StartTLS is checked against a real handshake.
Changes during a test go through ``ldapmodify`` as the directory manager, as an
administrator would make them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
MODULES = "/usr/lib/ldap"
SCHEMA = "/etc/ldap/schema"
BASE_DN = "dc=example,dc=org"
ROOT_DN = f"cn=manager,{BASE_DN}"
ROOT_PASSWORD = "manager-secret"
SERVICE_DN = f"cn=hub-search,ou=services,{BASE_DN}"
SERVICE_PASSWORD = "search-secret"
ADMIN_GROUP = f"cn=admins,ou=groups,{BASE_DN}"
STAFF_GROUP = f"cn=staff,ou=groups,{BASE_DN}"
NETOPS_GROUP = f"cn=netops,ou=groups,{BASE_DN}"
# Groups need one member at least; this one lets a test remove the last real one.
PLACEHOLDER = f"cn=nobody,{BASE_DN}"
PASSWORDS = {"ada": "ada-directory-pw", "alice": "alice-directory-pw",
             "bob": "bob-directory-pw", "admin": "directory-admin-pw"}

CONF = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
modulepath {modules}
moduleload back_mdb
pidfile {root}/slapd.pid
TLSCACertificateFile {root}/ca.pem
TLSCertificateFile {root}/server.pem
TLSCertificateKeyFile {root}/server.key
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
database mdb
maxsize 10485760
suffix "{base}"
rootdn "{rootdn}"
rootpw {rootpw}
directory {root}/db
index objectClass,uid,member,uniqueMember eq
"""


def _person(uid: str, cn: str, mail: str | None, password: str) -> str:
    mail_line = f"mail: {mail}\n" if mail else ""
    return (f"dn: uid={uid},ou=people,{BASE_DN}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
            f"cn: {cn}\nsn: {cn.split()[-1]}\ndisplayName: {cn}\n{mail_line}"
            f"userPassword: {password}\n\n")


def tree() -> str:
    """People: ada (admin), alice (staff, netops), bob (no group: customer) and a
    directory ``admin`` that a local account of the same name must not lose to."""
    people = "".join((
        _person("ada", "Ada Lovelace", "ada@example.org", PASSWORDS["ada"]),
        _person("alice", "Alice Liddell", "alice@example.org", PASSWORDS["alice"]),
        _person("bob", "Bob Customer", None, PASSWORDS["bob"]),
        _person("admin", "Directory Admin", "dadmin@example.org", PASSWORDS["admin"]),
    ))
    return (
        f"dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\n"
        f"o: Example\n\n"
        f"dn: ou=people,{BASE_DN}\nobjectClass: organizationalUnit\nou: people\n\n"
        f"dn: ou=groups,{BASE_DN}\nobjectClass: organizationalUnit\nou: groups\n\n"
        f"dn: ou=services,{BASE_DN}\nobjectClass: organizationalUnit\nou: services\n\n"
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: hub-search\nuserPassword: {SERVICE_PASSWORD}\n\n"
        + people +
        f"dn: {ADMIN_GROUP}\nobjectClass: groupOfNames\ncn: admins\n"
        f"member: uid=ada,ou=people,{BASE_DN}\n\n"
        f"dn: {STAFF_GROUP}\nobjectClass: groupOfUniqueNames\ncn: staff\n"
        f"uniqueMember: uid=alice,ou=people,{BASE_DN}\nuniqueMember: {PLACEHOLDER}\n\n"
        f"dn: {NETOPS_GROUP}\nobjectClass: groupOfNames\ncn: netops\n"
        f"member: uid=alice,ou=people,{BASE_DN}\nmember: {PLACEHOLDER}\n\n"
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(root: Path) -> None:
    """``ca.pem`` (a private CA) and ``server.pem``/``server.key`` for 127.0.0.1."""
    now = dt.datetime.now(dt.UTC)
    since, until = now - dt.timedelta(days=1), now + dt.timedelta(days=30)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Hub Test CA"))
          .issuer_name(_name("Hub Test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(since).not_valid_after(until)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                         critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(since).not_valid_after(until)
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    (root / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (root / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (root / "server.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (root / "server.key").chmod(0o600)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Slapd:
    root: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.root / "ca.pem"

    def prepare(self) -> None:
        (self.root / "db").mkdir(parents=True, exist_ok=True)
        make_certificates(self.root)
        conf = self.root / "slapd.conf"
        conf.write_text(CONF.format(schema=SCHEMA, modules=MODULES, root=self.root,
                                    base=BASE_DN, rootdn=ROOT_DN, rootpw=ROOT_PASSWORD))
        (self.root / "tree.ldif").write_text(tree())
        done = subprocess.run([SLAPADD, "-f", str(conf), "-l", str(self.root / "tree.ldif")],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]

    def start(self) -> None:
        log = open(self.root / "slapd.log", "ab")  # noqa: SIM115 (closed with the process)
        self.proc = subprocess.Popen(
            [SLAPD, "-f", str(self.root / "slapd.conf"), "-h", f"{self.url}/", "-d", "0"],
            stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError((self.root / "slapd.log").read_text()[-2000:]) from None
                time.sleep(0.1)
        raise AssertionError("slapd did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def modify(self, ldif: str) -> None:
        """Apply an LDIF change as the directory manager (``ldapmodify``)."""
        done = subprocess.run(["ldapmodify", "-x", "-H", self.url, "-D", ROOT_DN,
                               "-w", ROOT_PASSWORD], input=ldif, capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0, done.stderr

    def settings_env(self, **more: str) -> dict[str, str]:
        """The ``HUB_LDAP_*`` variables that point a hub at this server."""
        return {"HUB_LDAP_URL": self.url, "HUB_LDAP_BASE_DN": BASE_DN,
                "HUB_LDAP_BIND_DN": SERVICE_DN, "HUB_LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
                "HUB_LDAP_ADMIN_GROUP": ADMIN_GROUP, "HUB_LDAP_STAFF_GROUP": STAFF_GROUP,
                "HUB_LDAP_TIMEOUT": "5", **more}


def start_slapd(root: Path) -> Slapd:
    """A prepared, running slapd, or a failure (under CI) / skip when it is missing."""
    if not Path(SLAPD).exists() or shutil.which("ldapmodify") is None:
        if os.environ.get("CI"):
            pytest.fail("slapd and ldap-utils are not installed (make test installs them)")
        pytest.skip("slapd and ldap-utils are not installed (make test installs them)")
    server = Slapd(root=root, port=free_port())
    server.prepare()
    server.start()
    return server
