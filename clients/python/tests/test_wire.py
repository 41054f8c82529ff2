"""The wire format without a server: envelope, frames, Status -> exception."""

from __future__ import annotations

import io
import unittest

from cicd_client import ApiError, Expired, Invalid, NotFound, Watch, WireError, meta_v1, v1beta, wire


class EnvelopeTest(unittest.TestCase):
    def test_round_trip(self) -> None:
        js = v1beta.JenkinsService()
        js.metadata.name = "ci"
        js.spec.replicas = 2
        data = wire.encode(js, "autobusi.group.cicd/v1beta", "JenkinsService")
        self.assertEqual(data[:4], b"k8s\x00")
        env = wire.decode(data)
        self.assertEqual((env.api_version, env.kind), ("autobusi.group.cicd/v1beta", "JenkinsService"))
        back = v1beta.JenkinsService()
        back.ParseFromString(env.raw)
        self.assertEqual(back, js)

    def test_missing_prefix(self) -> None:
        with self.assertRaisesRegex(WireError, "not a Kubernetes protobuf message"):
            wire.decode(b'{"kind":"Status"}')

    def test_garbage_envelope(self) -> None:
        with self.assertRaises(WireError):
            wire.decode(b"k8s\x00\xff\xff\xff")


class FrameTest(unittest.TestCase):
    def event(self, type_: str, name: str) -> bytes:
        js = v1beta.JenkinsService()
        js.metadata.name = name
        ev = meta_v1.WatchEvent()
        ev.type = type_
        ev.object.raw = wire.encode(js, "autobusi.group.cicd/v1beta", "JenkinsService")
        return ev.SerializeToString()

    def test_frames(self) -> None:
        stream = io.BytesIO(wire.frame(self.event("ADDED", "a")) + wire.frame(self.event("DELETED", "b")))
        got = []
        for f in wire.read_frames(stream):
            t, env = wire.decode_watch_event(f)
            js = v1beta.JenkinsService()
            js.ParseFromString(env.raw)
            got.append((t, env.kind, js.metadata.name))
        self.assertEqual(got, [("ADDED", "JenkinsService", "a"), ("DELETED", "JenkinsService", "b")])

    def test_length_is_big_endian(self) -> None:
        self.assertEqual(wire.frame(b"x" * 258)[:4], b"\x00\x00\x01\x02")

    def test_truncated(self) -> None:
        data = wire.frame(self.event("ADDED", "a"))
        with self.assertRaisesRegex(WireError, "ended"):
            list(wire.read_frames(io.BytesIO(data[:-3])))
        with self.assertRaisesRegex(WireError, "ended after 2 of 4"):
            list(wire.read_frames(io.BytesIO(data[:2])))


class _NoConn:
    closed = False

    def close(self) -> None:
        self.closed = True


class WatchErrorTest(unittest.TestCase):
    def test_error_event_raises_the_status(self) -> None:
        ok = FrameTest.event(FrameTest(), "ADDED", "a")
        st = meta_v1.Status(status="Failure", code=410, reason="Expired", message="too old resource version: 1 (5)")
        err = meta_v1.WatchEvent(type="ERROR")
        err.object.raw = wire.encode(st, "v1", "Status")
        conn = _NoConn()
        w = Watch(conn, io.BytesIO(wire.frame(ok) + wire.frame(err.SerializeToString())), "v1beta")  # type: ignore[arg-type]
        got = []
        with self.assertRaises(Expired) as cm:
            with w:
                for ev in w:
                    got.append((ev.type, ev.object.metadata.name))
        self.assertEqual(got, [("ADDED", "a")])
        self.assertEqual((cm.exception.code, cm.exception.reason), (410, "Expired"))
        self.assertTrue(conn.closed)


class StatusTest(unittest.TestCase):
    def test_invalid_names_fields(self) -> None:
        st = meta_v1.Status(code=422, reason="Invalid", message='JenkinsService "x" is invalid')
        c = st.details.causes.add()
        c.field, c.reason, c.message = "spec.replicas", "FieldValueInvalid", "must be at most 100"
        err = ApiError.from_status(st)
        self.assertIsInstance(err, Invalid)
        self.assertEqual(err.fields, ["spec.replicas"])
        self.assertIn("spec.replicas: must be at most 100", str(err))

    def test_not_found(self) -> None:
        err = ApiError.from_status(meta_v1.Status(reason="NotFound", message="x not found"), 404)
        self.assertIsInstance(err, NotFound)
        self.assertEqual(err.code, 404)


if __name__ == "__main__":
    unittest.main()
