// The SAML HTTP-POST binding's page: sends its form on load. The page keeps a visible
// "Continuer" button for browsers without JavaScript; the CSP allows no inline script, hence this file.
document.getElementById('saml-post').submit();
