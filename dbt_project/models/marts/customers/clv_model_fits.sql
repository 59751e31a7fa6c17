{#- The fitted CLV model parameters, published beside the marts so a reader can see which model
    and which parameters produced `customers.predicted_clv_12m`. -#}
select
    {{ dbt.cast('model', dbt.type_string()) }} as model,
    {{ dbt.cast('parameter', dbt.type_string()) }} as parameter,
    {{ dbt.cast('value', 'double') }} as value,
    {{ dbt.cast('time_unit', dbt.type_string()) }} as time_unit,
    {{ dbt.cast('customers', 'bigint') }} as customers,
    {{ dbt.cast('log_likelihood', 'double') }} as log_likelihood,
    converged,
    {{ dbt.cast('fitted_at', 'timestamp') }} as fitted_at,
    {{ dbt.cast('as_of_date', 'date') }} as as_of_date
from {{ source('clv', 'clv_model_fits') }}
