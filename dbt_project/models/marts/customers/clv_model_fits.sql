{#- The fitted CLV model parameters, published beside the marts so a reader can see which model
    and which parameters produced `customers.predicted_clv_12m`. -#}
select * from {{ ref('stg_clv__model_fits') }}
