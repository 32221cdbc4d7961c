from typing import Literal

ServerErrorPropertiesSeverity = Literal["critical", "error", "warning"]

SERVER_ERROR_PROPERTIES_SEVERITY_VALUES: set[ServerErrorPropertiesSeverity] = {
    "critical",
    "error",
    "warning",
}


def check_server_error_properties_severity(value: str) -> ServerErrorPropertiesSeverity:
    if value in SERVER_ERROR_PROPERTIES_SEVERITY_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {SERVER_ERROR_PROPERTIES_SEVERITY_VALUES!r}")
