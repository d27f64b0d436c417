-- 026: messages written through the JSON API name the token that wrote them (conversation.c,
-- CONV_TOKEN): no staff user, no contact; api_message_json() shows the token's name as the
-- author's. A deleted token leaves the message without its author, as a deleted staff user does.
ALTER TABLE messages ADD COLUMN author_token_id bigint REFERENCES api_tokens (id) ON DELETE SET NULL;
ALTER TABLE messages ADD CONSTRAINT messages_token_author_check
    CHECK (author_token_id IS NULL OR (author_contact_id IS NULL AND author_user_id IS NULL
                                       AND direction = 'outgoing'));
