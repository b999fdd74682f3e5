/** An HTTP request exactly as it will be (or was) sent; `url` is relative to the API base. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  body?: unknown;
}
