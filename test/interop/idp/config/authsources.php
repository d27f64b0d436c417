<?php
/* The IdP's login: exampleauth:UserPass with the users in INTEROP_IDP_DIR/state.json
 * ({"users": {"name": {"password": "...", "attributes": {"email": ["..."], ...}}}}). */
$state = json_decode(file_get_contents(getenv('INTEROP_IDP_DIR') . '/state.json'), true);
$users = ['exampleauth:UserPass'];
foreach ($state['users'] as $name => $u) {
    $users[$name . ':' . $u['password']] = $u['attributes'];
}
$config = [
    'admin' => ['core:AdminPassword'],
    'interop-userpass' => $users,
];
