{#- How well the CLV model predicts purchases it never saw, published beside the marts: the tracking
    curve of the model fitted before the holdout window (calibration weeks, then holdout weeks). -#}
select
    week,
    period_end,
    actual_cumulative,
    predicted_cumulative,
    holdout
from {{ ref('stg_clv__holdout_tracking') }}
