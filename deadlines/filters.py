"""Filters of the overdue queue. They travel as GET parameters: ids and codes only, never a name."""

import django_filters

from core.forms import QuickSelect
from deadlines import kinds, selectors
from deadlines.models import OverdueFlag
from families.models import LocalAuthority, Team
from staff.models import User


class OverdueFlagFilter(django_filters.FilterSet):
    local_authority = django_filters.ModelChoiceFilter(
        label="Local authority", queryset=LocalAuthority.objects.none(), method="filter_local_authority",
        empty_label="All", widget=QuickSelect,
    )
    team = django_filters.ModelChoiceFilter(
        label="Team", field_name="family__team", queryset=Team.objects.none(), empty_label="All", widget=QuickSelect,
    )
    key_worker = django_filters.ModelChoiceFilter(
        label="Key worker", field_name="family__key_worker", queryset=User.objects.none(), empty_label="All",
        widget=QuickSelect,
    )
    # Every registered kind of deadline, grouped by the app that registered it.
    kind = django_filters.ChoiceFilter(
        label="What is late", field_name="deadline__kind", choices=kinds.filter_choices, empty_label="All",
        widget=QuickSelect,
    )
    level = django_filters.ChoiceFilter(label="How late", choices=OverdueFlag.Level.choices, empty_label="All",
                                        widget=QuickSelect)
    acknowledged = django_filters.ChoiceFilter(
        label="Acknowledged", choices=[("yes", "Yes"), ("no", "No")], method="filter_acknowledged",
        empty_label="Either", widget=QuickSelect,
    )

    class Meta:
        model = OverdueFlag
        fields = []

    def __init__(self, data=None, queryset=None, *, team_ids, **kwargs):
        super().__init__(data, queryset, **kwargs)
        fields = self.form.fields
        fields["local_authority"].queryset = selectors.authorities()
        fields["team"].queryset = Team.objects.filter(pk__in=team_ids).order_by("name")
        fields["key_worker"].queryset = selectors.key_workers_in(team_ids)
        fields["key_worker"].label_from_instance = lambda user: user.full_name or user.email
        for field in fields.values():
            field.required = False
            field.widget.attrs.setdefault("class", "form-select form-select-sm")

    def filter_local_authority(self, queryset, name, value):
        return queryset.filter(selectors.counted_against(value)) if value else queryset

    def filter_acknowledged(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(acknowledged_at__isnull=value == "no")
