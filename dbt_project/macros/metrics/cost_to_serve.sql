{#- What a support contact costs, by its ticket channel (var `cost_per_contact`; a channel not in
    the map costs what `other` does). -#}
{% macro contact_cost(ticket_channel) -%}
    {%- set costs = var('cost_per_contact') -%}
    case {{ ticket_channel }}
        {%- for channel, cost in costs.items() if channel != 'other' %}
        when '{{ channel }}' then {{ cost }}
        {%- endfor %}
        else {{ costs['other'] }}
    end
{%- endmacro %}

{#- The channel a contact is costed and grouped as: its own when var `cost_per_contact` names it,
    `other` when it does not. -#}
{% macro contact_channel(ticket_channel) -%}
    {%- set named = var('cost_per_contact').keys() | reject('equalto', 'other') | list -%}
    case when {{ ticket_channel }} in ('{{ named | join("', '") }}') then {{ ticket_channel }} else 'other' end
{%- endmacro %}
