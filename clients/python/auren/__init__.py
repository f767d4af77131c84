"""AUREN Realtime Python SDK: send agent events to an AUREN ingest.

    from auren import AurenClient

    client = AurenClient("http://localhost:3000", api_key="test-key")
    run = client.track_agent_start("neuroscientist", task="analyse HRV")
    client.track_llm_call("neuroscientist", model="gpt-4o", input_tokens=812, output_tokens=164)
    client.track_agent_complete("neuroscientist", session=run)
    client.close()

CrewAI: ``from auren.crewai import AurenCrewAIListener`` (needs ``auren-realtime[crewai]``).
"""

__version__ = "0.1.0"

from .client import AgentSession, AurenClient  # noqa: E402
from .events import AGENT_EVENT_TYPES, InvalidEventError, is_event_type  # noqa: E402

__all__ = [
    "AGENT_EVENT_TYPES",
    "AgentSession",
    "AurenClient",
    "InvalidEventError",
    "__version__",
    "is_event_type",
]
