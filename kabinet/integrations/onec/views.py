"""The 1C exchange endpoint, `/exchange/1c/` (INT2): the protocol 1C's «обмен с сайтом» speaks.

    GET  ?type=catalog|sale&mode=checkauth   HTTP basic auth → success\\n<cookie>\\n<value>
    GET  ?type=…&mode=init                   zip=yes|no\\nfile_limit=<bytes>
    POST ?type=catalog&mode=file&filename=…  a chunk of the file (appended) → success
    GET  ?type=catalog&mode=import&filename= progress (repeat) … success | failure\\n<why>
    GET  ?type=sale&mode=query               the orders as CommerceML (windows-1251)
    GET  ?type=sale&mode=success             the last query's orders are delivered
    POST ?type=sale&mode=file&filename=…     order statuses from 1C → success | failure

Every request after checkauth carries the cookie checkauth answered: a token signed with
our SECRET_KEY (django.core.signing) naming the integration and the exchange session, valid
for ONEC_SESSION_SECONDS — not a portal session. Answers are text in windows-1251, as 1C
and the sites it is built for (Bitrix) expect; a failure also has an HTTP error status.

1C issues GETs that change state (`import`, `success`): that is the protocol. They need
the signed cookie, which only 1C holds (it is sent in an answer body, never set by
`Set-Cookie`), so no browser can be made to send one: CSRF protection does not apply and
the view is exempt from it.
"""

import base64
import binascii
import logging
import secrets

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from kabinet.accounts.access import access_exempt
from kabinet.accounts.lockout import client_ip
from kabinet.integrations.models import Integration, IntegrationKind
from kabinet.integrations.onec import commerceml, importer, sale
from kabinet.integrations.onec.storage import ExchangeFiles, StorageError
from kabinet.integrations.services import basic_authenticate

logger = logging.getLogger(__name__)

COOKIE_NAME = "kabinet_1c"
SIGNING_SALT = "kabinet.integrations.onec.session"
TYPES = {"catalog", "sale"}


def text(status: str, *lines: str, http_status: int = 200) -> HttpResponse:
    body = "\n".join([status, *(line for line in lines if line)]) + "\n"
    return HttpResponse(
        body.encode(settings.ONEC_ENCODING, errors="replace"),
        content_type=f"text/plain; charset={settings.ONEC_ENCODING}",
        status=http_status,
    )


def failure(reason: str, http_status: int = 400) -> HttpResponse:
    response = text("failure", reason, http_status=http_status)
    if http_status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Kabinet 1C exchange", charset="UTF-8"'
    return response


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    # 1C sends UTF-8; very old clients windows-1251.
    try:
        decoded = raw.decode()
    except UnicodeDecodeError:
        decoded = raw.decode("cp1251")
    login, sep, password = decoded.partition(":")
    return (login, password) if sep else None


def session_token(integration: Integration, session: str) -> str:
    return signing.dumps({"i": integration.pk, "s": session}, salt=SIGNING_SALT, compress=False)


def _session(request: HttpRequest) -> tuple[Integration, ExchangeFiles] | None:
    token = request.COOKIES.get(COOKIE_NAME, "")
    if not token:
        return None
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=int(settings.ONEC_SESSION_SECONDS))
        integration_id, session = int(data["i"]), str(data["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    integration = Integration.objects.filter(
        pk=integration_id, kind=IntegrationKind.ONEC, is_active=True
    ).first()
    if integration is None:
        return None
    return integration, ExchangeFiles(integration.pk, session)


def _failures_key(request: HttpRequest) -> str:
    return f"onec:checkauth-failures:{client_ip(request)}"


def _checkauth(request: HttpRequest) -> HttpResponse:
    # Password guessing is slowed like the portal's sign-in (R4): after ONEC_LOCKOUT_FAILURES
    # failures from one address, checkauth is refused for ONEC_LOCKOUT_SECONDS.
    key = _failures_key(request)
    if cache.get(key, 0) >= int(settings.ONEC_LOCKOUT_FAILURES):
        return failure(_("Too many failed sign-ins of the 1C exchange: try again later."), 429)
    credentials = _basic_credentials(request)
    integration = basic_authenticate(*credentials) if credentials else None
    if integration is None or integration.kind != IntegrationKind.ONEC:
        logger.warning("1C exchange: sign-in refused for %r", credentials[0] if credentials else "")
        cache.add(key, 0, timeout=int(settings.ONEC_LOCKOUT_SECONDS))
        cache.incr(key)
        return failure(_("Wrong login or password of the 1C exchange."), 401)
    cache.delete(key)
    session = secrets.token_hex(16)
    files = ExchangeFiles(integration.pk, session)
    files.remove_stale()
    return text("success", COOKIE_NAME, session_token(integration, session))


@csrf_exempt  # see the module docstring
@login_not_required
@access_exempt
def exchange(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("type", "")
    mode = request.GET.get("mode", "")
    if mode == "checkauth":
        return _checkauth(request)
    found = _session(request)
    if found is None:
        return failure(
            _("Sign in first (mode=checkauth): the exchange cookie is missing or expired."), 401
        )
    integration, files = found
    if kind not in TYPES:
        return failure(_("Unknown exchange type %(type)s.") % {"type": kind[:40]})
    source = f"integration:{integration.name}"
    try:
        if mode == "init":
            files.reset()
            return text(
                f"zip={'yes' if settings.ONEC_ZIP else 'no'}",
                f"file_limit={int(settings.ONEC_FILE_LIMIT)}",
            )
        if mode == "file":
            if request.method != "POST":
                return failure(_("Send the file with POST."), 405)
            filename = request.GET.get("filename", "")
            files.append(filename, request, length=_content_length(request))
            if kind == "sale" and filename.lower().endswith(".xml"):
                return _sale_import(files, filename, source)
            return text("success")
        if mode == "import":
            filename = request.GET.get("filename", "")
            if kind == "sale":
                return _sale_import(files, filename, source)
            answer = importer.import_step(files, filename, source=source)
            if answer.status == "failure":
                return failure(answer.text, 422)
            return text(answer.status, answer.text)
        if mode == "complete":  # newer 1C versions say the exchange is over
            return text("success")
        if kind == "sale" and mode == "query":
            body, message_ids = sale.orders_query(integration=integration)
            state = files.state()
            state["sale_query"] = message_ids
            files.save_state(state)
            return HttpResponse(
                body, content_type=f"application/xml; charset={settings.ONEC_ENCODING}"
            )
        if kind == "sale" and mode == "success":
            state = files.state()
            sale.orders_acknowledge(
                integration=integration, message_ids=state.pop("sale_query", [])
            )
            files.save_state(state)
            return text("success")
    except StorageError as error:
        return failure(str(error), error.status)
    return failure(_("Unknown mode %(mode)s.") % {"mode": mode[:40]})


def _content_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _sale_import(files: ExchangeFiles, filename: str, source: str) -> HttpResponse:
    """Order documents from 1C are applied as soon as they arrive (1C sends them whole);
    the file is then set aside, so the next one of the same name starts afresh and a
    following `mode=import` for it has nothing left to do."""
    files.unpack_archives()
    path = files.path(filename)
    if not path.is_file():
        if path.with_name(path.name + ".done").is_file():
            return text("success")
        return failure(_("The file %(name)s was not uploaded.") % {"name": filename}, 422)
    try:
        # Read whole first (status files are small): a broken file applies nothing.
        updates = list(commerceml.read_orders(path))
    except commerceml.CommerceMLError as error:
        path.unlink()
        return failure(str(error), 422)
    report = sale.statuses_apply(updates=updates, source=source)
    path.replace(path.with_name(path.name + ".done"))
    return text("success", report.summary())
