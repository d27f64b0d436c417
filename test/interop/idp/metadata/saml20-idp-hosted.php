<?php
/*
 * The IdP itself. Its signing key comes from INTEROP_IDP_DIR/state.json so that a test can roll
 * it over without restarting php: "privatekey"/"certificate" sign; "new_privatekey"/
 * "new_certificate" (SimpleSAMLphp's standard rollover) are published in the metadata FIRST
 * while the old key still signs.
 */
$state = json_decode(file_get_contents(getenv('INTEROP_IDP_DIR') . '/state.json'), true);
$idp = [
    'host' => '__DEFAULT__',
    'privatekey' => $state['idp']['privatekey'],
    'certificate' => $state['idp']['certificate'],
    'auth' => 'interop-userpass',
    // a persistent NameID is a hash of this attribute (when the SP's options ask for one)
    'userid.attribute' => 'uid',
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'saml20.sign.assertion' => true,
    'saml20.sign.response' => $state['idp']['sign_response'] ?? false,
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
    'SingleSignOnServiceBinding' => ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'],
];
if (!empty($state['idp']['new_privatekey'])) {
    $idp['new_privatekey'] = $state['idp']['new_privatekey'];
    $idp['new_certificate'] = $state['idp']['new_certificate'];
}
$metadata['__DYNAMIC:1__'] = $idp;
