-- pipeline_first_stage.sql - where a ticket goes when it is closed (p_closed) or reopened (not):
-- the first such stage of its pipeline by position (NULL: none).
-- plpgsql, not SQL: an SQL function with a FROM is never inlined, and was planned again on every
-- call (twice per ticket page); plpgsql keeps its plan for the connection.
CREATE OR REPLACE FUNCTION pipeline_first_stage(p_pipeline bigint, p_closed boolean)
RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT id FROM pipeline_stages WHERE pipeline_id = p_pipeline AND is_closed = p_closed
             ORDER BY position, id LIMIT 1);
END;
$$;
