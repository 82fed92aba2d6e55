import factory
from django.contrib.auth.models import Group

from kabinet.accounts.models import User
from kabinet.accounts.roles import StaffRole

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@partner.example")
    full_name = factory.Faker("name", locale="ru_RU")
    password = factory.django.Password(PASSWORD)


class StaffUserFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@supplier.example")
    is_staff = True

    @factory.post_generation
    def roles(obj: User, create: bool, extracted: list[StaffRole] | None, **kwargs: object) -> None:
        if create and extracted:
            obj.groups.set(Group.objects.filter(name__in=[role.value for role in extracted]))
