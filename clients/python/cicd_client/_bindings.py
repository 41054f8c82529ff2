"""The protoc-generated modules (make proto-clients, or protoc -I proto; see the README).

They must be importable: put the directory protoc wrote them to on sys.path
(PYTHONPATH), or set CICD_PROTO_PYTHON to it.
"""

from __future__ import annotations

import os
import sys

_dir = os.environ.get("CICD_PROTO_PYTHON")
if _dir and _dir not in sys.path:
    sys.path.insert(0, _dir)

try:
    from github.com.autobusi.cicd_apiserver.apis.cicd.v1alpha import generated_pb2 as v1alpha
    from github.com.autobusi.cicd_apiserver.apis.cicd.v1beta import generated_pb2 as v1beta
    from k8s.io.api.autoscaling.v1 import generated_pb2 as autoscaling_v1
    from k8s.io.apimachinery.pkg.apis.meta.v1 import generated_pb2 as meta_v1
    from k8s.io.apimachinery.pkg.runtime import generated_pb2 as runtime
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "cicd_client needs the Python bindings of the API's .proto files: run "
        "'make proto-clients' (or protoc -I proto --python_out=DIR, see the README) and put "
        "DIR on PYTHONPATH or in CICD_PROTO_PYTHON"
    ) from e

__all__ = ["autoscaling_v1", "meta_v1", "runtime", "v1alpha", "v1beta"]
