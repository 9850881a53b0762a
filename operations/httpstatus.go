package operations

import "net/http"

// StatusClientClosedRequest is the non-standard status 499 used for ABORTED:
// the client went away or cancelled before a response.
const StatusClientClosedRequest = 499

// HTTPStatus returns the HTTP status for an error code. It is the only
// code-to-status table of the project. A code declared in defs with a
// non-zero HTTPStatus gets that status, before any row below:
//
//	VALIDATION_ERROR                          400
//	UNAUTHENTICATED                           401
//	ACCESS_DENIED                             403
//	OPERATION_NOT_FOUND                       404
//	SESSION_BUSY, CONFLICT                    409
//	RATE_LIMITED                              429
//	ABORTED                                   499
//	EXECUTION_ERROR, UNKNOWN_ERROR            500
//	SPOKE_UNAVAILABLE, SPOKE_DISCONNECTED     503
//	TIMEOUT                                   504
//	any other (domain) code                   422
func HTTPStatus(code string, defs []ErrorDefinition) int {
	for _, d := range defs {
		if d.Code == code && d.HTTPStatus != 0 {
			return d.HTTPStatus
		}
	}

	switch code {
	case CodeValidation:
		return http.StatusBadRequest
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeAccessDenied:
		return http.StatusForbidden
	case CodeOperationNotFound:
		return http.StatusNotFound
	case CodeSessionBusy, CodeConflict:
		return http.StatusConflict
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeAborted:
		return StatusClientClosedRequest
	case CodeExecution, CodeUnknown:
		return http.StatusInternalServerError
	case CodeSpokeUnavailable, CodeSpokeDisconnected:
		return http.StatusServiceUnavailable
	case CodeTimeout:
		return http.StatusGatewayTimeout
	}
	return http.StatusUnprocessableEntity
}
