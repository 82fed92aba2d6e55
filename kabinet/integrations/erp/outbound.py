"""Delivering one outbox message to the ERP over HTTP (the only outbound HTTP of the ERP
exchange, DESIGN rule 8). See docs/erp-exchange.md, "Outbound messages".

The request is a POST of the message envelope as JSON with:
- `Idempotency-Key`: the message's key, the same on every retry: the ERP applies a key once;
- `X-Kabinet-Topic`: the message topic;
- `X-Kabinet-Timestamp`: Unix seconds when this attempt was signed;
- `X-Kabinet-Signature`: `sha256=` + hex HMAC-SHA256, keyed with the integration's signing
  secret, of `<timestamp>.<body>` (so a captured request cannot be replayed later with a new
  timestamp).
A 2xx answer, or 409 (the ERP already has this key), means delivered.
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

KEY_HEADER = "Idempotency-Key"
TOPIC_HEADER = "X-Kabinet-Topic"
TIMESTAMP_HEADER = "X-Kabinet-Timestamp"
SIGNATURE_HEADER = "X-Kabinet-Signature"
ERROR_TEXT_LIMIT = 500
DOWN = frozenset({502, 503, 504})


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def envelope_body(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    http_status: int | None
    error: str  # empty when delivered
    refused: bool = False  # the ERP answered 4xx: it looked at the message and said no
    # Not reached, or it said it is unavailable: no point sending it the next message now.
    # (A lost or late answer is this message's problem: the ERP may well have applied it.)
    erp_down: bool = False


class ErpClient:
    """One keep-alive HTTP client for a relay run."""

    def __init__(self, *, timeout: float) -> None:
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def deliver(
        self, *, url: str, secret: str, key: str, topic: str, body: bytes
    ) -> DeliveryResult:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            KEY_HEADER: key,
            TOPIC_HEADER: topic,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(secret, timestamp, body),
        }
        try:
            response = self._http.post(url, content=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            error = f"unreachable: {type(exc).__name__}: {exc}"[:ERROR_TEXT_LIMIT]
            return DeliveryResult(False, None, error, erp_down=True)
        except httpx.TimeoutException as exc:
            return DeliveryResult(False, None, f"timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return DeliveryResult(False, None, f"{type(exc).__name__}: {exc}"[:ERROR_TEXT_LIMIT])
        status = response.status_code
        if 200 <= status < 300 or status == 409:
            return DeliveryResult(True, status, "")
        text = response.text[:ERROR_TEXT_LIMIT]
        return DeliveryResult(
            False, status, f"HTTP {status}: {text}", refused=status < 500, erp_down=status in DOWN
        )
