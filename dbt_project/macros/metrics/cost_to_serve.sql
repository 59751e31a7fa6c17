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
