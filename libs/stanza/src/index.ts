export * from './ns.js';
export * from './stream-errors.js';
export * from './stanza-errors.js';
export * from './stanza-error-conditions.js';
export * from './sasl-errors.js';
export * from './builders.js';
export * from './data-forms.js';
export { CAPS_HASHES, capsVer, verificationString } from './caps.js';
export {
  FORM_INVITATION,
  NODE_CREATE_ACCOUNT,
  NODE_INVITE,
  NS_IBR_TOKEN,
  NS_PARS,
  invitationUri,
  newInvitationToken,
} from './invitation.js';
