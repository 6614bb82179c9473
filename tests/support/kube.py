"""A real Kubernetes control plane for tests: etcd + kube-apiserver built from Go modules.

`hack/build-test-binaries.sh` builds both (cached). Limits, by design of a control plane
without the rest of a cluster: there is no controller-manager, scheduler or kubelet, so
Deployments are stored and validated but get no pods and no status, ReplicaSets are never
created, and ownerReference garbage collection does not run (a deleted owner leaves its
children until something else deletes them). Admission, validation (OpenAPI + CEL), RBAC,
server-side apply, watches, the status subresource and TokenRequest are all real.
"""

from __future__ import annotations

import base64
import json
import secrets
import shutil
import ssl
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config

from tests.support.ports import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
ADMIN_USER = "solarb-test-admin"
RESTRICTED_USER = "solarb-test-nobody"


def binaries() -> Path:
    """The directory holding etcd and kube-apiserver (built on first use, cached after)."""
    out = subprocess.run(
        [str(ROOT / "hack" / "build-test-binaries.sh")],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip().splitlines()[-1])


class KubeCluster:
    """etcd + kube-apiserver on free loopback ports, RBAC on, token and SA auth."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.bindir = binaries()
        self.etcd_port = free_port()
        self.etcd_peer_port = free_port()
        self.port = free_port()
        self.server = f"https://127.0.0.1:{self.port}"
        self.admin_token = secrets.token_hex(16)
        self.restricted_token = secrets.token_hex(16)
        self.kubeconfig = workdir / "kubeconfig"
        self.restricted_kubeconfig = workdir / "kubeconfig-restricted"
        self.logs = workdir / "logs"
        self._procs: list[subprocess.Popen[bytes]] = []

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self._start_etcd()
        self._write_credentials()
        self._start_apiserver()
        self._write_kubeconfig(self.kubeconfig, ADMIN_USER, self.admin_token)
        self._write_kubeconfig(self.restricted_kubeconfig, RESTRICTED_USER, self.restricted_token)

    def stop(self) -> None:
        for proc in reversed(self._procs):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs.clear()

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        self._procs.append(proc)
        return proc

    def _check_alive(self, name: str, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is not None:
            tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def _start_etcd(self) -> None:
        peer = f"http://127.0.0.1:{self.etcd_peer_port}"
        clients = f"http://127.0.0.1:{self.etcd_port}"
        proc = self._spawn(
            "etcd",
            [
                str(self.bindir / "etcd"),
                "--name", "solarb-test",
                "--data-dir", str(self.workdir / "etcd-data"),
                "--listen-client-urls", clients,
                "--advertise-client-urls", clients,
                "--listen-peer-urls", peer,
                "--initial-advertise-peer-urls", peer,
                "--initial-cluster", f"solarb-test={peer}",
                "--unsafe-no-fsync",
                "--log-level", "warn",
            ],
        )  # fmt: skip

        def healthy() -> bool:
            self._check_alive("etcd", proc)
            with urllib.request.urlopen(f"{clients}/health", timeout=1) as resp:
                return bool(json.load(resp).get("health") == "true")

        wait_until(healthy, timeout=60, what="etcd")

    def _write_credentials(self) -> None:
        tokens = self.workdir / "tokens.csv"
        tokens.write_text(
            f'{self.admin_token},{ADMIN_USER},uid-admin,"system:masters"\n'
            f"{self.restricted_token},{RESTRICTED_USER},uid-nobody\n"
        )
        subprocess.run(
            ["openssl", "genrsa", "-out", str(self.workdir / "sa.key"), "2048"],
            check=True,
            capture_output=True,
        )

    def _start_apiserver(self) -> None:
        sa_key = str(self.workdir / "sa.key")
        proc = self._spawn(
            "kube-apiserver",
            [
                str(self.bindir / "kube-apiserver"),
                "--etcd-servers", f"http://127.0.0.1:{self.etcd_port}",
                "--bind-address", "127.0.0.1",
                "--advertise-address", "127.0.0.1",
                "--secure-port", str(self.port),
                "--cert-dir", str(self.workdir / "certs"),
                "--token-auth-file", str(self.workdir / "tokens.csv"),
                "--authorization-mode", "RBAC",
                "--service-account-key-file", sa_key,
                "--service-account-signing-key-file", sa_key,
                "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
                "--service-cluster-ip-range", "10.96.0.0/24",
                "--endpoint-reconciler-type", "none",
                "--allow-privileged=true",
                "--disable-admission-plugins", "ServiceAccount",
                "--enable-priority-and-fairness=false",
            ],
        )  # fmt: skip
        context = self._ssl_context()

        def ready() -> bool:
            self._check_alive("kube-apiserver", proc)
            request = urllib.request.Request(
                f"{self.server}/readyz",
                headers={"Authorization": f"Bearer {self.admin_token}"},
            )
            with urllib.request.urlopen(request, timeout=2, context=context) as resp:
                return bool(resp.status == 200)

        wait_until(ready, timeout=120, what="kube-apiserver /readyz")

    def _ssl_context(self) -> ssl.SSLContext:
        # The self-signed serving cert only exists once the apiserver wrote it.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context

    @property
    def ca_file(self) -> Path:
        return self.workdir / "certs" / "apiserver.crt"

    def _write_kubeconfig(self, path: Path, user: str, token: str) -> None:
        ca = base64.b64encode(self.ca_file.read_bytes()).decode()
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "solarb-test",
                    "cluster": {"server": self.server, "certificate-authority-data": ca},
                }
            ],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [
                {"name": "solarb-test", "context": {"cluster": "solarb-test", "user": user}}
            ],
            "current-context": "solarb-test",
        }
        path.write_text(yaml.safe_dump(doc))

    # -- clients -------------------------------------------------------------------------

    def api_client(self, kubeconfig: Path | None = None) -> client.ApiClient:
        """A kubernetes client for the admin (or the given kubeconfig)."""
        return config.new_client_from_config(config_file=str(kubeconfig or self.kubeconfig))

    def service_account_kubeconfig(self, namespace: str, name: str) -> Path:
        """A kubeconfig that authenticates as ServiceAccount `namespace/name` (TokenRequest)."""
        api = client.CoreV1Api(self.api_client())
        try:
            api.read_namespaced_service_account(name, namespace)
        except client.ApiException as exc:
            if exc.status != 404:
                raise
            api.create_namespaced_service_account(
                namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name=name))
            )
        request = client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)
        )
        token = api.create_namespaced_service_account_token(name, namespace, request).status.token
        path = self.workdir / f"kubeconfig-sa-{namespace}-{name}"
        self._write_kubeconfig(path, f"system:serviceaccount:{namespace}:{name}", token)
        return path

    def kubectl(self, *args: str, kubeconfig: Path | None = None, check: bool = True) -> str:
        """Run kubectl (when installed) against this cluster; returns stdout."""
        binary = shutil.which("kubectl")
        if binary is None:
            raise RuntimeError("kubectl is not on PATH")
        out = subprocess.run(
            [binary, "--kubeconfig", str(kubeconfig or self.kubeconfig), *args],
            check=check,
            capture_output=True,
            text=True,
        )
        return out.stdout


@contextmanager
def running_cluster(workdir: Path) -> Iterator[KubeCluster]:
    cluster = KubeCluster(workdir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def create_namespace(cluster: KubeCluster, name: str) -> None:
    api = client.CoreV1Api(cluster.api_client())
    api.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))


def delete_namespace(cluster: KubeCluster, name: str) -> None:
    # No namespace controller runs: deleting leaves the namespace Terminating with its
    # objects; that is harmless for isolated per-test namespaces.
    api = client.CoreV1Api(cluster.api_client())
    try:
        api.delete_namespace(name)
    except client.ApiException as exc:
        if exc.status != 404:
            raise


def as_dict(obj: Any) -> dict[str, Any]:
    """A kubernetes model object as a plain dict (API field names)."""
    result: dict[str, Any] = client.ApiClient().sanitize_for_serialization(obj)
    return result
