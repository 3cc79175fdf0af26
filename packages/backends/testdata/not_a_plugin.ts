// A module that loads but exports no `backend`: loadBackend must reject it.
export const something = 1;
