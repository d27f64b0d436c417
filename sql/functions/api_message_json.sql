-- api_message_json.sql - the one JSON form of a message: what the API's message resources answer
-- and what the message.added webhook carries (schema Message of the OpenAPI document). kind
-- "note" is an internal note. author.type is contact, staff or null (mail from an unknown
-- address, or an API token: then author.name is the token's name when known, from
-- messages.author_token_id, sql/026_api_tickets.sql). Attachments link
-- to /api/v1/attachments/<id>. NULL when there is no such message.
CREATE OR REPLACE FUNCTION api_message_json(p_message bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT jsonb_build_object(
            'id', m.id,
            'ticket_id', th.ticket_id,
            'thread_id', m.thread_id,
            'inbox_id', th.inbox_id,
            'channel', th.channel,
            'kind', m.kind,
            'direction', m.direction,
            'author', CASE
                WHEN m.author_contact_id IS NOT NULL THEN jsonb_build_object('type', 'contact',
                    'id', ct.id, 'email', ct.email, 'name', btrim(ct.first_name || ' ' || ct.last_name))
                WHEN m.author_user_id IS NOT NULL THEN jsonb_build_object('type', 'staff',
                    'id', su.id, 'email', su.email, 'name', su.name)
                ELSE jsonb_build_object('type', NULL, 'id', NULL, 'email', m.from_address, 'name', tk.name) END,
            'body', m.body,
            'created_at', api_time(m.created_at),
            'attachments', COALESCE((
                SELECT jsonb_agg(jsonb_build_object('id', a.id, 'file_name', a.file_name,
                           'content_type', a.content_type, 'size', a.size_bytes,
                           'url', '/api/v1/attachments/' || a.id) ORDER BY a.id)
                  FROM attachments a WHERE a.message_id = m.id), '[]'::jsonb))
          FROM messages m
          JOIN threads th ON th.id = m.thread_id
          LEFT JOIN contacts ct ON ct.id = m.author_contact_id
          LEFT JOIN staff_users su ON su.id = m.author_user_id
          LEFT JOIN api_tokens tk ON tk.id = m.author_token_id
         WHERE m.id = p_message);
END;
$$;
