<?php
/*
 * SimpleSAMLphp (Debian's simplesamlphp 1.19) as the identity provider of make test-interop:
 * SIMPLESAMLPHP_CONFIG_DIR points here. Everything of one run lives in INTEROP_IDP_DIR (keys,
 * the portal's SP metadata, state.json, sessions, logs); INTEROP_IDP_URL is where php -S listens
 * (http://127.0.0.1:PORT/, a different site from the portal on http://localhost:PORT).
 */
$dir = getenv('INTEROP_IDP_DIR');
$url = getenv('INTEROP_IDP_URL');
if (!$dir || !$url) {
    throw new Exception('INTEROP_IDP_DIR and INTEROP_IDP_URL must be set (test/interop/run.sh)');
}
$state = json_decode(file_get_contents($dir . '/state.json'), true);

$config = [
    'baseurlpath' => rtrim($url, '/') . '/',
    'certdir' => $dir . '/',
    'loggingdir' => $dir . '/log/',
    'datadir' => $dir . '/data/',
    'tempdir' => $dir . '/tmp',
    'metadatadir' => __DIR__ . '/../metadata/',
    'metadata.sources' => [['type' => 'flatfile']],
    'attributenamemapdir' => '/usr/share/simplesamlphp/attributemap/',

    'technicalcontact_name' => 'Interop test',
    'technicalcontact_email' => 'na@example.org',
    'timezone' => 'UTC',
    'secretsalt' => $state['secretsalt'],
    'auth.adminpassword' => $state['adminpassword'],
    'admin.protectindexpage' => true,
    'admin.protectmetadata' => false,
    'admin.checkforupdates' => false,
    // where the IdP may send the browser after its logout (initSLO.php?RelayState=): the portal
    'trusted.url.domains' => $state['trusted'] ?? [],
    'enable.http_post' => false,
    'assertion.allowed_clock_skew' => 180,

    'debug' => ['saml' => true, 'backtraces' => true, 'validatexml' => false],
    'showerrors' => true,
    'errorreporting' => false,
    'logging.level' => SimpleSAML\Logger::DEBUG,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'statistics.out' => [],

    'enable.saml20-idp' => true,
    'enable.shib13-idp' => false,
    'enable.adfs-idp' => false,
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true, 'admin' => true],

    'session.duration' => 8 * 60 * 60,
    'session.datastore.timeout' => 4 * 60 * 60,
    'session.state.timeout' => 60 * 60,
    'session.cookie.name' => 'SimpleSAMLSessionID',
    'session.cookie.lifetime' => 0,
    'session.cookie.path' => '/',
    'session.cookie.domain' => null,
    // plain http on loopback: a Secure cookie would not come back on http://127.0.0.1
    'session.cookie.secure' => false,
    'session.cookie.samesite' => 'Lax',
    'session.phpsession.cookiename' => 'SimpleSAML',
    'session.phpsession.savepath' => $dir . '/sessions',
    'session.phpsession.httponly' => true,
    'session.authtoken.cookiename' => 'SimpleSAMLAuthToken',
    'session.rememberme.enable' => false,
    'store.type' => 'phpsession',

    'language.available' => ['en'],
    'language.default' => 'en',
    'usenewui' => false,
    'theme.use' => 'default',
    'production' => false,
];
