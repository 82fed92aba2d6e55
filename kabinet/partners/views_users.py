"""Users and access: a partner admin's Users section, invitations, the company's security
policy and audit log (ACC5-ACC9, ACC11, R19), and the staff's access actions."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kabinet.accounts.access import access_exempt
from kabinet.accounts.forms import TemporaryPasswordForm
from kabinet.accounts.models import User
from kabinet.accounts.services import (
    user_block,
    user_set_access_expiry,
    user_set_temporary_password,
    user_unblock,
)
from kabinet.partners import invitations, selectors, services
from kabinet.partners.access import PartnerRequest, require_right, staff_required
from kabinet.partners.forms import (
    AccessExpiryForm,
    AuditFilterForm,
    BlockForm,
    EmployeeForm,
    ExistingAccountAcceptForm,
    InvitationAcceptForm,
    KeyUserInvitationForm,
    MemberForm,
    MfaPolicyForm,
)
from kabinet.partners.models import Contact, Invitation, Membership, Partner
from kabinet.partners.rights import DEFAULT_USER_RIGHTS, Right, Role

AUDIT_PAGE_SIZE = 50


def _partner(request: PartnerRequest) -> Partner:
    assert request.partner is not None  # guaranteed by @require_right
    return request.partner


def _get_or_404[M: Model](fetch: Callable[[], M]) -> M:
    try:
        return fetch()
    except (
        Membership.DoesNotExist,
        Contact.DoesNotExist,
        Invitation.DoesNotExist,
        Partner.DoesNotExist,
        User.DoesNotExist,
    ) as exc:
        raise Http404 from exc


def _invitation_sent(email: str) -> str:
    return _("An invitation has been sent to %(email)s.") % {"email": email}


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- The partner admin's Users section ---------------------------------------------------------


@require_right(Right.USERS)
def company_users(request: PartnerRequest) -> HttpResponse:
    partner = _partner(request)
    context = {
        "members": selectors.member_list(partner=partner),
        "invitations": selectors.invitation_list(partner=partner),
        "now": timezone.now(),
        "today": timezone.localdate(),
    }
    return render(request, "partners/company_users.html", context)


@require_right(Right.USERS)
def company_member(request: PartnerRequest, membership_id: int) -> HttpResponse:
    partner = _partner(request)
    member = _get_or_404(lambda: selectors.member_get(partner=partner, membership_id=membership_id))
    form = MemberForm(request.POST or None, initial={"role": member.role, "rights": member.rights})
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(
                membership=member,
                role=Role(form.cleaned_data["role"]),
                rights=form.rights_value(),
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("partners:users")
    context = {
        "member": member,
        "form": form,
        "expiry_form": AccessExpiryForm(initial={"expires_on": member.user.access_expires_on}),
        "block_form": BlockForm(),
    }
    return render(request, "partners/company_member.html", context)


def _member_action(
    action: Callable[[Membership, PartnerRequest], str],
) -> Callable[[PartnerRequest, int], HttpResponseBase]:
    """A POST on one member of the current partner; ValidationErrors become messages."""

    @require_right(Right.USERS)
    def view(request: PartnerRequest, membership_id: int) -> HttpResponse:
        partner = _partner(request)
        member = _get_or_404(
            lambda: selectors.member_get(partner=partner, membership_id=membership_id)
        )
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            messages.success(request, action(member, request))
        except ValidationError as error:
            _errors(request, error)
        return redirect("partners:member", membership_id=member.pk)

    return view


def _block(member: Membership, request: PartnerRequest) -> str:
    form = BlockForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.member_block(membership=member, actor=request.user, reason=reason, request=request)
    return _("%(name)s is blocked and signed out everywhere.") % {"name": member.user}


def _unblock(member: Membership, request: PartnerRequest) -> str:
    services.member_unblock(membership=member, actor=request.user, request=request)
    return _("%(name)s is unblocked.") % {"name": member.user}


def _expiry(member: Membership, request: PartnerRequest) -> str:
    form = AccessExpiryForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Enter a valid date."))
    services.member_set_access_expiry(
        membership=member,
        expires_on=form.cleaned_data["expires_on"],
        actor=request.user,
        request=request,
    )
    return _("Access date saved.")


def _remove(member: Membership, request: PartnerRequest) -> str:
    services.membership_remove(membership=member, actor=request.user, request=request)
    return _("%(name)s no longer has access to the company.") % {"name": member.user}


company_member_block = _member_action(_block)
company_member_unblock = _member_action(_unblock)
company_member_expiry = _member_action(_expiry)


@require_right(Right.USERS)
def company_member_remove(request: PartnerRequest, membership_id: int) -> HttpResponse:
    partner = _partner(request)
    member = _get_or_404(lambda: selectors.member_get(partner=partner, membership_id=membership_id))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        messages.success(request, _remove(member, request))
    except ValidationError as error:
        _errors(request, error)
        return redirect("partners:member", membership_id=member.pk)
    return redirect("partners:users")


@require_right(Right.USERS)
def company_employee_new(request: PartnerRequest) -> HttpResponse:
    """An employee card in Contacts; with an account, the employee gets an invitation."""
    partner = _partner(request)
    form = EmployeeForm(
        request.POST or None, initial={"rights": sorted(r.value for r in DEFAULT_USER_RIGHTS)}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitations.employee_create(
                partner=partner,
                full_name=data["full_name"],
                position=data["position"],
                email=data["email"],
                phone=data["phone"],
                give_account=data["give_account"],
                rights=form.rights_value(),
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if data["give_account"]:
                messages.success(
                    request,
                    _("An invitation has been sent to %(email)s.") % {"email": data["email"]},
                )
            else:
                messages.success(request, _("The contact has been added."))
            return redirect("partners:contacts")
    return render(request, "partners/company_employee_new.html", {"form": form})


@require_right(Right.USERS)
def company_contact_invite(request: PartnerRequest, contact_id: int) -> HttpResponse:
    partner = _partner(request)
    contact = _get_or_404(lambda: selectors.contact_get(partner=partner, contact_id=contact_id))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        invitations.contact_invite(contact=contact, actor=request.user, request=request)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request, _("An invitation has been sent to %(email)s.") % {"email": contact.email}
        )
    return redirect("partners:contacts")


def _invitation_action(resend: bool) -> Callable[[PartnerRequest, int], HttpResponseBase]:
    @require_right(Right.USERS)
    def view(request: PartnerRequest, invitation_id: int) -> HttpResponse:
        partner = _partner(request)
        invitation = _get_or_404(
            lambda: selectors.invitation_get(partner=partner, invitation_id=invitation_id)
        )
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        _invitation_apply(request, invitation, resend=resend)
        return redirect("partners:users")

    return view


def _invitation_apply(request: PartnerRequest, invitation: Invitation, *, resend: bool) -> None:
    try:
        if resend:
            invitations.invitation_resend(
                invitation=invitation, actor=request.user, request=request
            )
            messages.success(request, _("The invitation has been sent again."))
        else:
            invitations.invitation_revoke(
                invitation=invitation, actor=request.user, request=request
            )
            messages.success(
                request, _("The invitation has been revoked: its link no longer works.")
            )
    except ValidationError as error:
        _errors(request, error)


company_invitation_resend = _invitation_action(resend=True)
company_invitation_revoke = _invitation_action(resend=False)


@require_right(Right.USERS)
def company_security(request: PartnerRequest) -> HttpResponse:
    """The company's two-factor policy; only its admins may change it."""
    partner = _partner(request)
    assert request.membership is not None
    form = MfaPolicyForm(request.POST or None, initial={"require_mfa": partner.require_mfa})
    if request.method == "POST":
        if not request.membership.is_partner_admin:
            raise Http404
        if form.is_valid():
            services.partner_set_mfa_policy(
                partner=partner,
                required=form.cleaned_data["require_mfa"],
                actor=request.user,
                request=request,
            )
            messages.success(request, _("Saved."))
            return redirect("partners:security")
    return render(request, "partners/company_security.html", {"form": form})


def _audit_page(request: PartnerRequest, partner_id: int | None) -> dict[str, Any]:
    form = AuditFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "kind": data["kind"],
            "email": data["email"],
            "since": data["since"],
            "until": data["until"],
        }
        if partner_id is None and data["partner"]:
            partner_id = data["partner"]
    events = selectors.audit_event_list(partner_id=partner_id, **filters)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    names = selectors.partner_names({e.partner_id for e in page.object_list if e.partner_id})
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return {
        "form": form,
        "page": page,
        "partner_names": names,
        "querystring": querystring.urlencode(),
    }


@require_right(Right.USERS)
def company_audit(request: PartnerRequest) -> HttpResponse:
    context = _audit_page(request, partner_id=_partner(request).pk)
    return render(request, "partners/audit_log.html", {**context, "staff": False})


# --- Public: registration through an invitation link (ACC3, ACC5) -----------------------------


@login_not_required
@access_exempt
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitations.invitation_by_token(token)
    status = invitation.status if invitation else None
    if invitation is None or status != Invitation.Status.PENDING:
        return render(request, "partners/invitation_invalid.html", {"status": status}, status=410)
    existing = invitations.invitation_existing_user(invitation)
    form: InvitationAcceptForm | ExistingAccountAcceptForm
    if existing is not None:
        form = ExistingAccountAcceptForm(request.POST or None)
    else:
        contact_phone = invitation.contact.phone if invitation.contact else ""
        form = InvitationAcceptForm(
            request.POST or None,
            initial={"full_name": invitation.full_name, "phone": contact_phone},
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitations.invitation_accept(
                token=token,
                full_name=data.get("full_name", ""),
                phone=data.get("phone", ""),
                password=data.get("password1") or data.get("password", ""),
                request=request,
            )
        except ValidationError as error:
            # Password rules raise a list of errors, which has no single code.
            code = getattr(error, "code", None)
            field = "password1" if "password1" in form.fields else "password"
            form.add_error(None if code == "link_invalid" else field, error)
        else:
            messages.success(
                request,
                _("Welcome to %(partner)s! Sign in with your e-mail and password.")
                % {"partner": invitation.partner.name},
            )
            return HttpResponseRedirect(reverse("accounts:login"))
    context = {"invitation": invitation, "form": form, "existing": existing is not None}
    return render(request, "partners/invitation_accept.html", context)


# --- Staff ---------------------------------------------------------------------------------


@staff_required("partners.add_invitation")
@require_POST
def staff_partner_invite(request: PartnerRequest, partner_id: int) -> HttpResponse:
    """Invite the partner's key user (ACC5): he becomes its admin."""
    partner = _get_or_404(lambda: Partner.objects.get(pk=partner_id))
    form = KeyUserInvitationForm(request.POST)
    if form.is_valid():
        try:
            invitations.invitation_create(
                partner=partner,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=Role.PARTNER_ADMIN,
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(
                request, _("An invitation has been sent to %(email)s.") % form.cleaned_data
            )
    else:
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, str(message))
    return redirect("partners:staff_card", partner_id=partner.pk)


def _staff_invitation_action(resend: bool) -> Callable[[PartnerRequest, int], HttpResponseBase]:
    @staff_required("partners.add_invitation")
    @require_POST
    def view(request: PartnerRequest, invitation_id: int) -> HttpResponse:
        invitation = _get_or_404(
            lambda: selectors.staff_invitation_get(invitation_id=invitation_id)
        )
        _invitation_apply(request, invitation, resend=resend)
        return redirect("partners:staff_card", partner_id=invitation.partner_id)

    return view


staff_invitation_resend = _staff_invitation_action(resend=True)
staff_invitation_revoke = _staff_invitation_action(resend=False)


def _staff_user_action(
    action: Callable[[User, PartnerRequest], str],
) -> Callable[[PartnerRequest, int], HttpResponseBase]:
    @staff_required("accounts.change_user")
    @require_POST
    def view(request: PartnerRequest, user_id: int) -> HttpResponse:
        user = _get_or_404(lambda: selectors.staff_user_get(user_id=user_id))
        try:
            messages.success(request, action(user, request))
        except ValidationError as error:
            _errors(request, error)
        back = request.POST.get("next", "")
        return HttpResponseRedirect(
            back if back.startswith("/staff/") else reverse("partners:staff_list")
        )

    return view


def _staff_block(user: User, request: PartnerRequest) -> str:
    form = BlockForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    user_block(user=user, reason=reason, actor=request.user, request=request)
    return _("%(name)s is blocked and signed out everywhere.") % {"name": user}


def _staff_unblock(user: User, request: PartnerRequest) -> str:
    user_unblock(user=user, actor=request.user, request=request)
    return _("%(name)s is unblocked.") % {"name": user}


def _staff_expiry(user: User, request: PartnerRequest) -> str:
    form = AccessExpiryForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Enter a valid date."))
    user_set_access_expiry(
        user=user, expires_on=form.cleaned_data["expires_on"], actor=request.user, request=request
    )
    return _("Access date saved.")


def _staff_temporary_password(user: User, request: PartnerRequest) -> str:
    form = TemporaryPasswordForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Enter a temporary password."))
    user_set_temporary_password(
        user=user, password=form.cleaned_data["password"], actor=request.user, request=request
    )
    return _("Temporary password set: %(name)s must change it at the next sign-in.") % {
        "name": user
    }


staff_user_block = _staff_user_action(_staff_block)
staff_user_unblock = _staff_user_action(_staff_unblock)
staff_user_expiry = _staff_user_action(_staff_expiry)
staff_user_temporary_password = _staff_user_action(_staff_temporary_password)


@staff_required("accounts.view_auditevent")
def staff_audit(request: PartnerRequest) -> HttpResponse:
    context = _audit_page(request, partner_id=None)
    return render(request, "partners/audit_log.html", {**context, "staff": True})
