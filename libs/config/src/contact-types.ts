/** The server's contact addresses (XEP-0157), by role; each a list of URIs. */
export interface ContactConfig {
  abuse: string[];
  admin: string[];
  feedback: string[];
  sales: string[];
  security: string[];
  status: string[];
  support: string[];
}
