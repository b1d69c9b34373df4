{#- One row per ISO 8583 field 39 code with its reconciliation category (first category that
    lists the code wins; CUPS suffixes like "98(CUPS)" are stripped). -#}
with codes as {{ not_materialized() }} (
    select * from {{ ref('iso8583_response_codes') }}
),

category_codes as (
    select category, owner, trim(regexp_replace(example, '[(].*[)]', '')) as code
    from (
        select category, owner, {{ explode_split('iso8583_f39_examples', ';') }} as example
        from {{ ref('pos_error_categories') }}
    ) as examples
),

first_category as (
    select code, min_by(category, category) as category, min_by(owner, category) as owner
    from category_codes
    group by code
)

select
    codes.code,
    codes.meaning_iso8583_1987 as meaning,
    codes.meaning_cn_unionpay_pos as meaning_cn,
    codes.responsible_party,
    coalesce(first_category.category,
             case when codes.responsible_party = 'approved' then 'approved' else 'other_decline' end)
        as category,
    first_category.owner,
    codes.responsible_party = 'approved' as is_approved
from codes
left join first_category on first_category.code = codes.code
