"""cicd_client: a small protobuf client for JenkinsServices (autobusi.group.cicd).

    from cicd_client import Client, v1beta
    c = Client.from_kubeconfig()
    js = v1beta.JenkinsService()
    js.metadata.name, js.metadata.namespace = "ci", "team-a"
    c.create(js)
"""

from ._bindings import autoscaling_v1, meta_v1, v1alpha, v1beta
from .client import GROUP, Client, JenkinsService, JenkinsServiceList, Version, Watch, WatchEvent, version_of
from .errors import AlreadyExists, ApiError, Cause, Conflict, Expired, Forbidden, Invalid, NotFound
from .wire import WireError

__all__ = [
    "GROUP", "AlreadyExists", "ApiError", "Cause", "Client", "Conflict", "Expired", "Forbidden",
    "Invalid", "JenkinsService", "JenkinsServiceList", "NotFound", "Version", "Watch", "WatchEvent",
    "WireError", "autoscaling_v1", "meta_v1", "v1alpha", "v1beta", "version_of",
]
