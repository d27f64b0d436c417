-- rule_matches.sql - the one definition (was in 003_tickets.sql); see sql/README.md.

-- One rule: is any of, is none of, equals, contains (case-insensitive), is known.
CREATE OR REPLACE FUNCTION rule_matches(p_value text, p_operator text, p_values text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_operator
        WHEN 'any_of' THEN coalesce(p_value = ANY (p_values), false)
        WHEN 'none_of' THEN p_value IS NULL OR NOT (p_value = ANY (p_values))
        WHEN 'equals' THEN coalesce(p_value = p_values[1], false)
        WHEN 'contains' THEN coalesce(strpos(lower(p_value), lower(p_values[1])) > 0, false)
        WHEN 'is_known' THEN coalesce(p_value <> '', false)
        ELSE false
    END
$$;
