<?php
/*
 * The portal as a service provider: its own metadata (GET /sso/saml/metadata, saved by the test
 * harness as INTEROP_IDP_DIR/sp-metadata.xml) parsed by SimpleSAMLphp's SAMLParser, with the
 * options of state.json's "sp" merged over it (how the NameID is made, e.g.
 * {"simplesaml.nameidattribute": "email"} or {"NameIDFormat": "...:persistent"}).
 */
$dir = getenv('INTEROP_IDP_DIR');
$state = json_decode(file_get_contents($dir . '/state.json'), true);
if (is_readable($dir . '/sp-metadata.xml')) {
    $xml = file_get_contents($dir . '/sp-metadata.xml');
    foreach (\SimpleSAML\Metadata\SAMLParser::parseDescriptorsString($xml) as $entity) {
        $md = $entity->getMetadata20SP();
        if ($md === null) {
            continue;
        }
        $md = array_merge($md, $state['sp'] ?? []);
        foreach ($md as $k => $v) {
            if ($v === null) {
                unset($md[$k]);
            }
        }
        $metadata[$md['entityid']] = $md;
    }
}
