"""Invitations (ACC5, ACC6, ACC8): staff invite a partner's key user; a partner admin invites
employees. The e-mailed link is single-use and expires (INVITATION_TTL_DAYS)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User
from kabinet.accounts.services import user_create
from kabinet.notifications.services import email_enqueue
from kabinet.partners.models import Contact, Invitation, Membership, Partner
from kabinet.partners.rights import DEFAULT_USER_RIGHTS, Right, Role
from kabinet.partners.services import contact_create, membership_create


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _send(invitation: Invitation, token: str) -> None:
    link = settings.SITE_URL + reverse("partners:invitation", kwargs={"token": token})
    email_enqueue(
        to=[invitation.email],
        # The invitee's language is unknown: the portal's, not whoever clicked "invite".
        language=settings.LANGUAGE_CODE,
        template="partners/email/invitation",
        context={
            "invitation": invitation,
            "partner_name": invitation.partner.name,
            "full_name": invitation.full_name,
            "link": link,
            "expires_at": invitation.expires_at,
            "supplier_name": settings.KABINET_SUPPLIER_NAME,
        },
    )


def _refresh_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash = _token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=settings.INVITATION_TTL_DAYS)
    return token


@transaction.atomic
def invitation_create(
    *,
    partner: Partner,
    email: str,
    full_name: str,
    role: Role,
    rights: frozenset[Right] = frozenset(),
    actor: User,
    contact: Contact | None = None,
    request: HttpRequest | None = None,
) -> Invitation:
    email = email.strip().lower()
    if Membership.objects.for_partner(partner).filter(user__email__iexact=email).exists():
        raise ValidationError(
            _("%(email)s already has an account in this company."),
            code="already_member",
            params={"email": email},
        )
    now = timezone.now()
    if Invitation.objects.pending(now).for_partner(partner).filter(email__iexact=email).exists():
        raise ValidationError(
            _("An invitation to %(email)s is already waiting: resend it instead."),
            code="already_invited",
            params={"email": email},
        )
    invitation = Invitation(
        partner=partner,
        email=email,
        full_name=full_name.strip(),
        role=role,
        rights=sorted(right.value for right in rights),
        contact=contact,
        invited_by=actor,
    )
    token = _refresh_token(invitation)
    invitation.save()
    audit_record(
        AuditKind.INVITATION_SENT,
        request=request,
        actor=actor,
        subject_email=email,
        partner_id=partner.pk,
        role=role.value,
    )
    _send(invitation, token)
    return invitation


@transaction.atomic
def invitation_resend(
    *, invitation: Invitation, actor: User, request: HttpRequest | None = None
) -> Invitation:
    """A new link with a new expiry; the old link stops working."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError(_("This invitation is closed."), code="closed")
    token = _refresh_token(invitation)
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    audit_record(
        AuditKind.INVITATION_SENT,
        request=request,
        actor=actor,
        subject_email=invitation.email,
        partner_id=invitation.partner_id,
        resent=True,
    )
    _send(invitation, token)
    return invitation


@transaction.atomic
def invitation_revoke(
    *, invitation: Invitation, actor: User, request: HttpRequest | None = None
) -> None:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        return
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        AuditKind.INVITATION_REVOKED,
        request=request,
        actor=actor,
        subject_email=invitation.email,
        partner_id=invitation.partner_id,
    )


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation behind a link, whatever its state; None for a link that never was."""
    return (
        Invitation.objects.select_related("partner").filter(token_hash=_token_hash(token)).first()
    )


def invitation_existing_user(invitation: Invitation) -> User | None:
    return User.objects.filter(email__iexact=invitation.email).first()


@transaction.atomic
def invitation_accept(
    *,
    token: str,
    full_name: str,
    phone: str,
    password: str,
    request: HttpRequest | None = None,
) -> User:
    """Complete registration through the link: the person becomes a user of the partner (the
    first user of a partner always becomes its admin). For an e-mail that already has an
    account, `password` is that account's password. Raises ValidationError; nothing changes
    then."""
    invitation = (
        Invitation.objects.select_for_update().filter(token_hash=_token_hash(token)).first()
    )
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        raise ValidationError(_("This invitation link is no longer valid."), code="link_invalid")
    user = invitation_existing_user(invitation)
    if user is not None:
        if authenticate(request, username=user.email, password=password) is None:
            raise ValidationError(_("The password is incorrect."), code="wrong_password")
        if Membership.objects.for_partner(invitation.partner).filter(user=user).exists():
            raise ValidationError(
                _("You already have an account in this company."), code="already_member"
            )
    else:
        from django.contrib.auth.password_validation import validate_password

        candidate = User(email=invitation.email, full_name=full_name)
        validate_password(password, candidate)
        user = user_create(
            email=invitation.email,
            full_name=full_name.strip(),
            phone=phone.strip(),
            password=password,
        )
    membership = membership_create(
        partner=invitation.partner,
        user=user,
        role=Role(invitation.role),
        rights=frozenset(Right(value) for value in invitation.rights),
    )
    contact = invitation.contact
    if contact is not None:
        contact.user = user
        contact.save(update_fields=["user"])
    else:
        contact_create(
            partner=invitation.partner,
            full_name=user.full_name or full_name,
            email=user.email,
            phone=user.phone or phone,
            user=user,
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        AuditKind.INVITATION_ACCEPTED,
        request=request,
        actor=user,
        subject=user,
        partner_id=invitation.partner_id,
        role=membership.role,
    )
    return user


@transaction.atomic
def employee_create(
    *,
    partner: Partner,
    full_name: str,
    position: str,
    email: str,
    phone: str,
    give_account: bool,
    rights: frozenset[Right],
    actor: User,
    request: HttpRequest | None = None,
) -> Contact:
    """A partner admin fills an employee card in Contacts; with an account, the employee
    gets an invitation and sets his own password (ACC6)."""
    contact = contact_create(
        partner=partner, full_name=full_name, position=position, email=email, phone=phone
    )
    if give_account:
        invitation_create(
            partner=partner,
            email=email,
            full_name=full_name,
            role=Role.PARTNER_USER,
            rights=rights,
            actor=actor,
            contact=contact,
            request=request,
        )
    return contact


@transaction.atomic
def contact_invite(
    *,
    contact: Contact,
    actor: User,
    rights: frozenset[Right] = DEFAULT_USER_RIGHTS,
    request: HttpRequest | None = None,
) -> Invitation:
    """Give an existing contact an account."""
    if not contact.email:
        raise ValidationError(_("The contact has no e-mail address."), code="no_email")
    if contact.user_id is not None:
        raise ValidationError(_("The contact already has an account."), code="already_member")
    return invitation_create(
        partner=contact.partner,
        email=contact.email,
        full_name=contact.full_name,
        role=Role.PARTNER_USER,
        rights=rights,
        actor=actor,
        contact=contact,
        request=request,
    )
