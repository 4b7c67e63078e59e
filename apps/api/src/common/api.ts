/** Every versioned route lives under this prefix. */
export const API = 'api/v1';
