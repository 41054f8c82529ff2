"""The client against a real `cicd-apiserver local`, in protobuf end to end."""

from __future__ import annotations

import itertools
import unittest

from cicd_client import (AlreadyExists, Client, Conflict, Invalid, NotFound, meta_v1, v1alpha, v1beta,
                         version_of, wire)

from localserver import LocalServer

_server = LocalServer()
_client: Client
_names = itertools.count()


def setUpModule() -> None:
    global _client
    _client = Client.from_kubeconfig(_server.start())


def tearDownModule() -> None:
    _server.stop()


def name(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def alpha(ns: str, n: str, amount: int = 2, cpu: int = 2) -> v1alpha.JenkinsService:
    js = v1alpha.JenkinsService()
    js.metadata.name, js.metadata.namespace = n, ns
    js.spec.instanceamount, js.spec.instancecpu = amount, cpu
    return js


def beta(ns: str, n: str, replicas: int = 1) -> v1beta.JenkinsService:
    js = v1beta.JenkinsService()
    js.metadata.name, js.metadata.namespace = n, ns
    js.spec.replicas = replicas
    return js


def approved(js: v1beta.JenkinsService) -> meta_v1.Condition | None:
    return next((c for c in js.status.conditions if c.type == "Approved"), None)


class CrudTest(unittest.TestCase):
    def test_create_v1alpha_read_v1beta(self) -> None:
        n = name("alpha")
        created = _client.create(alpha("team-a", n, amount=2, cpu=3))
        self.assertEqual(version_of(created), "v1alpha")
        self.assertTrue(created.metadata.uid)
        self.assertEqual(created.status.approvalstatus, "Pending")

        js = _client.get("team-a", n, "v1beta")
        self.assertIsInstance(js, v1beta.JenkinsService)
        self.assertEqual(js.metadata.uid, created.metadata.uid)
        self.assertEqual(js.spec.replicas, 2)
        self.assertEqual(js.spec.resources.cpu.string, "3")
        self.assertEqual(js.spec.resources.memory.string, "2Gi")  # v1beta default
        self.assertEqual(js.spec.image, "jenkins/jenkins:lts")
        # The preservation annotations never show through v1beta.
        self.assertFalse([k for k in js.metadata.annotations if k.startswith("autobusi.group.cicd/preserved")])

        names = [i.metadata.name for i in _client.list("team-a", "v1beta").items]
        self.assertIn(n, names)
        self.assertEqual([i.metadata.name for i in _client.list(None, "v1alpha", field_selector=f"metadata.name={n}").items],
                         [n])

    def test_update_v1beta_seen_in_v1alpha_rounded_up(self) -> None:
        n = name("upd")
        _client.create(beta("team-a", n))
        js = _client.get("team-a", n)
        js.spec.resources.cpu.string = "1500m"
        updated = _client.update(js)
        self.assertGreater(updated.metadata.generation, js.metadata.generation)
        self.assertEqual(_client.get("team-a", n, "v1alpha").spec.instancecpu, 2)

        with self.assertRaises(Conflict) as cm:
            _client.update(js)  # js carries the old resourceVersion
        self.assertEqual(cm.exception.code, 409)

    def test_delete_and_not_found(self) -> None:
        n = name("del")
        _client.create(beta("team-b", n))
        _client.delete("team-b", n, "v1alpha")
        with self.assertRaises(NotFound) as cm:
            _client.get("team-b", n)
        self.assertEqual(cm.exception.code, 404)
        with self.assertRaises(NotFound):
            _client.delete("team-b", n)

    def test_already_exists(self) -> None:
        n = name("dup")
        _client.create(beta("team-a", n))
        with self.assertRaises(AlreadyExists) as cm:
            _client.create(alpha("team-a", n))
        self.assertEqual(cm.exception.code, 409)


class InvalidTest(unittest.TestCase):
    def test_422_names_the_field_in_the_version_used(self) -> None:
        cases = [
            (beta("team-a", name("bad"), replicas=101), "spec.replicas"),
            (alpha("team-a", name("bad"), amount=101), "spec.instanceamount"),
            (alpha("team-a", name("bad"), cpu=65), "spec.instancecpu"),
        ]
        img = beta("team-a", name("bad"))
        img.spec.image = "Not A Valid/Image!!"
        cases.append((img, "spec.image"))
        for obj, field in cases:
            with self.subTest(field=field):
                with self.assertRaises(Invalid) as cm:
                    _client.create(obj)
                err = cm.exception
                self.assertEqual(err.code, 422)
                self.assertEqual(err.reason, "Invalid")
                self.assertIn(field, err.fields)
                self.assertIn(field, str(err))
                with self.assertRaises(NotFound):
                    _client.get("team-a", obj.metadata.name)


class WatchTest(unittest.TestCase):
    def test_added_modified_deleted(self) -> None:
        ns = name("watch-ns")
        start = _client.list(ns, "v1beta").metadata.resourceVersion
        with _client.watch(ns, "v1alpha", resource_version=start, timeout_seconds=30) as w:
            n = name("w")
            _client.create(beta(ns, n))
            js = _client.get(ns, n)
            js.spec.replicas = 4
            _client.update(js)
            _client.delete(ns, n)
            events = []
            for ev in w:
                self.assertIsInstance(ev.object, v1alpha.JenkinsService)
                events.append((ev.type, ev.object.metadata.name, ev.object.spec.instanceamount))
                if ev.type == "DELETED":
                    break
        self.assertEqual(events, [("ADDED", n, 1), ("MODIFIED", n, 4), ("DELETED", n, 4)])

    def test_raw_stream_is_framed_watch_events(self) -> None:
        # The framing facts the client relies on, read straight off the socket.
        ns = name("raw-ns")
        start = _client.list(ns).metadata.resourceVersion
        conn, resp = _client._open(  # noqa: SLF001 - the test looks under the client
            "GET", f"/apis/autobusi.group.cicd/v1beta/namespaces/{ns}/jenkinsservices",
            {"watch": "true", "resourceVersion": start, "timeoutSeconds": "30"}, None, wire.WATCH_CONTENT_TYPE)
        try:
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.getheader("Content-Type"), "application/vnd.kubernetes.protobuf;stream=watch")
            _client.create(beta(ns, name("raw")))
            header = resp.read(4)
            length = int.from_bytes(header, "big")
            body = resp.read(length)
            self.assertFalse(body.startswith(wire.MAGIC), "a watch frame is a bare WatchEvent")
            ev = meta_v1.WatchEvent()
            ev.ParseFromString(body)
            self.assertEqual(ev.type, "ADDED")
            self.assertTrue(ev.object.raw.startswith(wire.MAGIC), "the event's object is enveloped")
            self.assertEqual(wire.decode(ev.object.raw).kind, "JenkinsService")
        finally:
            conn.close()


class SubresourceTest(unittest.TestCase):
    def test_approve_through_v1beta_and_deny_through_v1alpha(self) -> None:
        n = name("appr")
        created = _client.create(beta("team-a", n, replicas=2))
        js = _client.approve("team-a", n, reason="ApprovedByAdmin", message="release train")
        cond = approved(js)
        assert cond is not None
        self.assertEqual((cond.status, cond.reason, cond.message), ("True", "ApprovedByAdmin", "release train"))
        self.assertEqual(_client.get("team-a", n, "v1alpha").status.approvalstatus, "Approved")
        self.assertEqual(js.spec, created.spec)  # nothing but the approval is applied

        alpha_js = _client.approve("team-a", n, approved=False, version="v1alpha")
        self.assertEqual(alpha_js.status.approvalstatus, "Denied")
        cond = approved(_client.get("team-a", n))
        assert cond is not None
        self.assertEqual(cond.status, "False")

    def test_approval_only_through_the_subresource(self) -> None:
        n = name("noappr")
        _client.create(beta("team-a", n))
        js = _client.get("team-a", n, "v1alpha")
        js.status.approvalstatus = "Approved"
        _client.update(js)  # the main resource ignores status
        self.assertEqual(_client.get("team-a", n, "v1alpha").status.approvalstatus, "Pending")

    def test_scale(self) -> None:
        n = name("scale")
        _client.create(alpha("team-a", n, amount=2))
        scale = _client.get_scale("team-a", n)
        self.assertEqual((scale.metadata.name, scale.spec.replicas, scale.status.replicas), (n, 2, 0))
        scale = _client.update_scale("team-a", n, 3, version="v1alpha")
        self.assertEqual(scale.spec.replicas, 3)
        self.assertEqual(_client.get("team-a", n).spec.replicas, 3)
        self.assertEqual(_client.get("team-a", n, "v1alpha").spec.instanceamount, 3)
        with self.assertRaises(Invalid) as cm:
            _client.update_scale("team-a", n, 101)
        self.assertIn("spec.replicas", cm.exception.fields)
        with self.assertRaises(NotFound):
            _client.get_scale("team-a", name("missing"))


if __name__ == "__main__":
    unittest.main()
