-- 022_templates_times.sql - the customer's ticket list and ticket page join the system pages whose
-- template a portal picks (portal_page_templates.page: 'tickets', 'ticket'; fcgi/settings_load.c).

ALTER TABLE portal_page_templates DROP CONSTRAINT portal_page_templates_page_check;
ALTER TABLE portal_page_templates ADD CONSTRAINT portal_page_templates_page_check
    CHECK (page IN ('register', 'login', 'logout', 'access_denied', 'password_reset_request',
                    'password_reset', 'tickets', 'ticket'));
