{#- The few generic tests we need beyond dbt's four (the package hub is out of reach). -#}

{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
    select {{ column_name }} as out_of_range_value
    from {{ model }}
    where {{ column_name }} is not null
      and (
        1 = 0
        {% if min_value is not none %} or {{ column_name }} < {{ min_value }} {% endif %}
        {% if max_value is not none %} or {{ column_name }} > {{ max_value }} {% endif %}
      )
{% endtest %}

{% test expression_is_true(model, expression, column_name=none) %}
    select * from {{ model }} where not ({{ expression }})
{% endtest %}

{#- Each row with a null in any of the model's required columns: one scan, and one node in the build, for
    what dbt's `not_null` would check with a node per column. -#}
{% test not_null_columns(model, columns) %}
    {%- if not columns %}
        {{ exceptions.raise_compiler_error('not_null_columns on ' ~ model ~ ' lists no column') }}
    {%- endif %}
    select *
    from {{ model }}
    where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}

{#- dbt's `unique` and `not_null` of a key in one test: each duplicated value, and the null key if any. -#}
{% test primary_key(model, column_name) %}
    select {{ column_name }} as key_value, count(*) as occurrences
    from {{ model }}
    group by {{ column_name }}
    having count(*) > 1 or {{ column_name }} is null
{% endtest %}

{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Every value of the column is a key of the tested model's meta map `key`: a value the model emits
    but its YAML does not list fails, so the list that others read (the pipeline's checks) stays whole. -#}
{% test accepted_meta_keys(model, column_name, key) %}
    {%- set keys = [] %}
    {%- if execute %}
        {%- set nodes = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
            | selectattr('alias', 'equalto', model.identifier) | list %}
        {%- set meta = nodes[0].config.meta if nodes else {} %}
        {%- if key not in meta %}
            {{ exceptions.raise_compiler_error('accepted_meta_keys: ' ~ model ~ ' has no meta `' ~ key ~ '`') }}
        {%- endif %}
        {%- set keys = meta[key].keys() | list %}
    {%- endif %}
    select {{ column_name }} as unlisted_value
    from {{ model }}
    where {{ column_name }} not in ('{{ keys | join("', '") }}')
{% endtest %}
