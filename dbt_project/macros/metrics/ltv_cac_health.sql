{#- LTV:CAC health, defined once: a ratio at or above `healthy_ltv_cac_ratio` (the field's 3:1 rule of
    thumb) pays for its acquisition that many times over. The marts publish the threshold beside the
    verdict, so a reader (the report's 3:1 line, `make run`'s summary) shows the one that judged. -#}
{% macro healthy_ltv_cac_ratio() -%}
    {{ dbt.cast(var('healthy_ltv_cac_ratio'), 'double') }}
{%- endmacro %}

{% macro is_healthy_ltv_cac(ratio) -%}
    {{ dbt.cast(ratio ~ ' >= ' ~ var('healthy_ltv_cac_ratio'), 'boolean') }}
{%- endmacro %}
