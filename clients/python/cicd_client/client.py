"""A JenkinsService client over protobuf: CRUD and watch in either version, the
approval subresource and the scale subresource (autoscaling/v1 Scale)."""

from __future__ import annotations

import base64
import http.client
import os
import ssl
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Iterator, Literal, Union

from . import wire
from ._bindings import autoscaling_v1, meta_v1, v1alpha, v1beta
from .errors import ApiError

GROUP = "autobusi.group.cicd"
RESOURCE = "jenkinsservices"
Version = Literal["v1alpha", "v1beta"]
JenkinsService = Union[v1alpha.JenkinsService, v1beta.JenkinsService]
JenkinsServiceList = Union[v1alpha.JenkinsServiceList, v1beta.JenkinsServiceList]

_MODULES: dict[str, Any] = {"v1alpha": v1alpha, "v1beta": v1beta}


def version_of(obj: JenkinsService) -> Version:
    """The API version whose generated module a JenkinsService message comes from."""
    full_name: str = type(obj).DESCRIPTOR.full_name
    package = full_name.rsplit(".", 2)[-2]
    if package == "v1alpha":
        return "v1alpha"
    if package == "v1beta":
        return "v1beta"
    raise TypeError(f"{full_name} is not a JenkinsService of {GROUP}")


@dataclass(frozen=True)
class WatchEvent:
    """One event of a watch: ADDED, MODIFIED, DELETED or BOOKMARK, and the object."""

    type: str
    object: JenkinsService


class Watch:
    """An open watch stream; iterate for events, close (or use ``with``) to stop.

    An ERROR event (for instance 410 Expired) is raised as an ApiError.
    """

    def __init__(self, conn: http.client.HTTPSConnection, resp: http.client.HTTPResponse,
                 version: Version) -> None:
        self._conn, self._resp, self._version = conn, resp, version

    def __iter__(self) -> Iterator[WatchEvent]:
        cls = _MODULES[self._version].JenkinsService
        for frame in wire.read_frames(self._resp):
            event_type, env = wire.decode_watch_event(frame)
            if event_type == "ERROR" or env.kind == "Status":
                status = meta_v1.Status()
                status.ParseFromString(env.raw)
                raise ApiError.from_status(status)
            obj = cls()
            obj.ParseFromString(env.raw)
            yield WatchEvent(event_type, obj)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class Client:
    """Talks protobuf to the server at ``server`` (https://host:port)."""

    def __init__(self, server: str, context: ssl.SSLContext, timeout: float = 30.0,
                 token: str | None = None) -> None:
        url = urllib.parse.urlsplit(server)
        if url.scheme != "https" or not url.hostname:
            raise ValueError(f"server {server!r}: want https://host[:port]")
        self.host, self.port = url.hostname, url.port or 443
        self.prefix = url.path.rstrip("/")
        self.context, self.timeout, self.token = context, timeout, token

    @classmethod
    def from_kubeconfig(cls, path: str | None = None, context: str | None = None,
                        timeout: float = 30.0) -> Client:
        """Reads a kubeconfig (default $KUBECONFIG): server, CA and client certificate."""
        import yaml  # PyYAML (Debian python3-yaml); only kubeconfig reading needs it

        path = path or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
        path = path.split(os.pathsep)[0]
        with open(path, encoding="utf-8") as f:
            cfg = yaml.safe_load(f)
        base = os.path.dirname(os.path.abspath(path))
        ctx_name = context or cfg.get("current-context")
        ctx = _named(cfg, "contexts", ctx_name, path)["context"]
        cluster = _named(cfg, "clusters", ctx["cluster"], path)["cluster"]
        user = _named(cfg, "users", ctx["user"], path).get("user") or {}

        tls = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        if "certificate-authority-data" in cluster:
            tls.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        elif "certificate-authority" in cluster:
            tls.load_verify_locations(cafile=os.path.join(base, cluster["certificate-authority"]))
        cert = _pem(user, "client-certificate", base)
        key = _pem(user, "client-key", base)
        if cert and key:
            # ssl loads a certificate chain only from files: write them briefly.
            with tempfile.TemporaryDirectory() as d:
                cf, kf = os.path.join(d, "tls.crt"), os.path.join(d, "tls.key")
                for name, data in ((cf, cert), (kf, key)):
                    with open(os.open(name, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as out:
                        out.write(data)
                tls.load_cert_chain(cf, kf)
        return cls(cluster["server"], tls, timeout=timeout, token=user.get("token"))

    # --- JenkinsServices -------------------------------------------------

    def list(self, namespace: str | None = None, version: Version = "v1beta",
             label_selector: str | None = None, field_selector: str | None = None) -> JenkinsServiceList:
        query = {"labelSelector": label_selector, "fieldSelector": field_selector}
        data = self._call("GET", self._path(version, namespace), query)
        return self._object(data, _MODULES[version].JenkinsServiceList(), "JenkinsServiceList")

    def get(self, namespace: str, name: str, version: Version = "v1beta") -> JenkinsService:
        data = self._call("GET", self._path(version, namespace, name))
        return self._object(data, _MODULES[version].JenkinsService(), "JenkinsService")

    def create(self, obj: JenkinsService) -> JenkinsService:
        """Creates obj in its namespace, through the version of its message type."""
        version = version_of(obj)
        body = wire.encode(obj, f"{GROUP}/{version}", "JenkinsService")
        data = self._call("POST", self._path(version, obj.metadata.namespace), body=body)
        return self._object(data, type(obj)(), "JenkinsService")

    def update(self, obj: JenkinsService, subresource: str = "") -> JenkinsService:
        """Replaces obj (PUT; a stale metadata.resourceVersion raises Conflict)."""
        version = version_of(obj)
        body = wire.encode(obj, f"{GROUP}/{version}", "JenkinsService")
        path = self._path(version, obj.metadata.namespace, obj.metadata.name, subresource)
        return self._object(self._call("PUT", path, body=body), type(obj)(), "JenkinsService")

    def update_status(self, obj: JenkinsService) -> JenkinsService:
        return self.update(obj, "status")

    def delete(self, namespace: str, name: str, version: Version = "v1beta") -> None:
        self._call("DELETE", self._path(version, namespace, name))

    def watch(self, namespace: str | None = None, version: Version = "v1beta",
              resource_version: str | None = None, timeout_seconds: int | None = None,
              label_selector: str | None = None, field_selector: str | None = None) -> Watch:
        """Opens a watch; events carry objects of ``version``."""
        query = {"watch": "true", "resourceVersion": resource_version,
                 "timeoutSeconds": None if timeout_seconds is None else str(timeout_seconds),
                 "labelSelector": label_selector, "fieldSelector": field_selector}
        conn, resp = self._open("GET", self._path(version, namespace), query, None, wire.WATCH_CONTENT_TYPE)
        if resp.status >= 400:
            try:
                raise self._error(resp.status, resp.reason, resp.read())
            finally:
                conn.close()
        got = resp.getheader("Content-Type", "")
        if not got.startswith(wire.CONTENT_TYPE):
            conn.close()
            raise wire.WireError(f"watch answered with Content-Type {got!r}")
        return Watch(conn, resp, version)

    # --- subresources -----------------------------------------------------

    def approve(self, namespace: str, name: str, approved: bool = True, reason: str = "ApprovedByClient",
                message: str = "", version: Version = "v1beta") -> JenkinsService:
        """Approves (or denies) through the approval subresource; only the approval is applied."""
        obj = self.get(namespace, name, version)
        if isinstance(obj, v1alpha.JenkinsService):
            obj.status.approvalstatus = "Approved" if approved else "Denied"
        else:
            conditions = [c for c in obj.status.conditions if c.type != "Approved"]
            del obj.status.conditions[:]
            obj.status.conditions.extend(conditions)
            cond = obj.status.conditions.add()
            cond.type, cond.status = "Approved", "True" if approved else "False"
            cond.reason, cond.message = reason, message
            cond.lastTransitionTime.seconds = int(time.time())
        return self.update(obj, "approval")

    def get_scale(self, namespace: str, name: str, version: Version = "v1beta") -> autoscaling_v1.Scale:
        data = self._call("GET", self._path(version, namespace, name, "scale"))
        return self._object(data, autoscaling_v1.Scale(), "Scale")

    def update_scale(self, namespace: str, name: str, replicas: int,
                     version: Version = "v1beta") -> autoscaling_v1.Scale:
        """Sets spec.replicas through the scale subresource (an autoscaling/v1 Scale)."""
        scale = self.get_scale(namespace, name, version)
        scale.spec.replicas = replicas
        body = wire.encode(scale, "autoscaling/v1", "Scale")
        data = self._call("PUT", self._path(version, namespace, name, "scale"), body=body)
        return self._object(data, autoscaling_v1.Scale(), "Scale")

    # --- HTTP -------------------------------------------------------------

    def _path(self, version: Version, namespace: str | None, name: str = "", sub: str = "") -> str:
        if version not in _MODULES:
            raise ValueError(f"version {version!r}: want one of {sorted(_MODULES)}")
        parts = [self.prefix, "apis", GROUP, version]
        if namespace:
            parts += ["namespaces", namespace]
        parts.append(RESOURCE)
        if name:
            parts.append(name)
        if sub:
            parts.append(sub)
        return "/".join(urllib.parse.quote(p, safe="") if i else p for i, p in enumerate(parts))

    def _open(self, method: str, path: str, query: dict[str, str | None] | None, body: bytes | None,
              accept: str) -> tuple[http.client.HTTPSConnection, http.client.HTTPResponse]:
        q = urllib.parse.urlencode({k: v for k, v in (query or {}).items() if v is not None})
        headers = {"Accept": accept, "User-Agent": "cicd_client/python"}
        if body is not None:
            headers["Content-Type"] = wire.CONTENT_TYPE
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=self.timeout)
        try:
            conn.request(method, path + ("?" + q if q else ""), body=body, headers=headers)
            return conn, conn.getresponse()
        except BaseException:
            conn.close()
            raise

    def _call(self, method: str, path: str, query: dict[str, str | None] | None = None,
              body: bytes | None = None) -> bytes:
        conn, resp = self._open(method, path, query, body, wire.CONTENT_TYPE)
        try:
            data = resp.read()
        finally:
            conn.close()
        if resp.status >= 400:
            raise self._error(resp.status, resp.reason, data)
        return data

    @staticmethod
    def _error(code: int, http_reason: str, data: bytes) -> ApiError:
        if data.startswith(wire.MAGIC):
            env = wire.decode(data)
            if env.kind == "Status":
                status = meta_v1.Status()
                status.ParseFromString(env.raw)
                return ApiError.from_status(status, code)
        return ApiError(code, http_reason, data.decode("utf-8", "replace").strip())

    @staticmethod
    def _object(data: bytes, into: Any, kind: str) -> Any:
        env = wire.decode(data)
        if env.kind != kind:
            raise wire.WireError(f"expected a {kind}, got {env.api_version} {env.kind}")
        into.ParseFromString(env.raw)
        return into


def _named(cfg: dict[str, Any], section: str, name: str | None, path: str) -> dict[str, Any]:
    for entry in cfg.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry
    raise ValueError(f"kubeconfig {path}: no {section[:-1]} named {name!r}")


def _pem(user: dict[str, Any], key: str, base: str) -> bytes | None:
    if f"{key}-data" in user:
        return base64.b64decode(user[f"{key}-data"])
    if key in user:
        with open(os.path.join(base, user[key]), "rb") as f:
            return f.read()
    return None
