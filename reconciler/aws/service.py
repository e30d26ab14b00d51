"""A thin API over one AWS service whose client is made on first use.

Plans that declare no EC2 capacity never touch IAM, EC2 or Auto Scaling: their clients (and botocore's large service
models) are only made when a call needs one, from the connection's session, with its calls counted
(`Clients.client`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class LazyApi:
    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._make()
        return self._client
