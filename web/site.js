// Settings of the site that serves these pages, written at deployment (docs/embedding.md):
//   api:       the API's base URL when it is on another origin ("" = this origin);
//   stripeKey: the Stripe publishable key deposit tickets are paid with ("" = none).
// The pages take them from here only, never from their own URL: a link to the restaurant's widget
// could otherwise send a guest's details, and their payment, to someone else.
window.COUVERT_SITE = {api: "", stripeKey: ""};
