"""The API app's background tasks (huey finds `<app>.tasks`): Open311's media fetching and asynchronous
creation live beside its views."""

from shaobao.api.open311 import actions  # noqa: F401 - installs the creator of tokens' requests
from shaobao.api.open311.tasks import create_from_token, fetch_media  # noqa: F401
