-- int_kri_duplicate_warnings
-- Grain: one row per KRI.
-- Inputs: int_duplicate_ids.
-- Rule (docs/kri.md, "Duplicate ids"): a KRI warns about each collection it reads
-- that lists an object more than once. Output: the KRI's slug and those warnings,
-- sorted (an empty list when there are none).
with
kri_collections as (
    select * from (values
        ('entra_mfa_enrollment_pct', 'users'),
        ('entra_mfa_enrollment_pct', 'user_registration_details'),
        ('entra_privileged_no_mfa_count', 'users'),
        ('entra_privileged_no_mfa_count', 'user_registration_details'),
        ('entra_privileged_no_mfa_count', 'directory_role_members'),
        ('entra_privileged_no_mfa_count', 'group_members'),
        ('entra_stale_accounts_90d', 'users'),
        ('entra_ca_coverage_gaps', 'users'),
        ('entra_ca_coverage_gaps', 'conditional_access_policies'),
        ('entra_ca_coverage_gaps_exact', 'users'),
        ('entra_ca_coverage_gaps_exact', 'conditional_access_policies'),
        ('entra_ca_coverage_gaps_exact', 'directory_roles'),
        ('entra_ca_coverage_gaps_exact', 'directory_role_members'),
        ('entra_ca_coverage_gaps_exact', 'group_members'),
        ('entra_ca_coverage_gaps_exact', 'ca_group_members'),
        ('entra_ca_coverage_gaps_exact', 'authentication_strength_policies'),
        ('entra_ca_coverage_gaps_exact', 'named_locations'),
        ('entra_guest_account_count', 'users'),
        ('entra_failed_signins_24h', 'sign_ins'),
        ('entra_priv_role_changes_24h', 'directory_audits')
    ) as t (slug, collection_name)
)

select
    k.slug,
    coalesce(
        list(d.warning order by d.warning) filter (where d.warning is not null),
        []::varchar[]
    ) as warnings
from kri_collections as k
left join int_duplicate_ids as d
    on d.collection_name = k.collection_name
group by k.slug
