{#- What a support contact costs, by its ticket channel (var `cost_per_contact`; a channel not in
    the map costs what `other` does). -#}
{% macro contact_cost(ticket_channel) -%}
    case {{ contact_channel(ticket_channel) }}
        {%- for channel, cost in var('cost_per_contact').items() %}
        when '{{ channel }}' then {{ cost }}
        {%- endfor %}
    end
{%- endmacro %}

{#- The channel a contact is costed and grouped as: its own when var `cost_per_contact` names it,
    `other` when it does not. -#}
{% macro contact_channel(ticket_channel) -%}
    {%- set named = var('cost_per_contact').keys() | reject('equalto', 'other') | list -%}
    case when {{ ticket_channel }} in ('{{ named | join("', '") }}') then {{ ticket_channel }} else 'other' end
{%- endmacro %}
