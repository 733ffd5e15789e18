"""Design Guarantee claims in the API for the operators who review them (the admin does the same):
``POST guarantee-claims/{id}/approve/`` makes the free reprint of the same approved file;
``POST guarantee-claims/{id}/decline/`` (`reason`, told to the customer). A claim reviewed already
answers 409; a role without the claim's (and, to approve, the reprint's) permissions 403."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from printing import roles
from printing.apis import ReprintCreateApi, _valid, claim_answer
from printing.services import guarantee_claim_approve, guarantee_claim_decline
from studio.permissions import HasStaffPermissions

ClaimOutput = ReprintCreateApi.ClaimOutput


class GuaranteeClaimApproveApi(APIView):
    """Approve a submitted claim (Operators): its free reprint is queued and the customer e-mailed."""

    permission_classes = [HasStaffPermissions]
    required_permissions = roles.APPROVE_CLAIM

    @extend_schema(
        request=None, responses=ClaimOutput, summary="Approve a Design Guarantee claim and reprint"
    )
    def post(self, request, claim_id: int):
        claim = guarantee_claim_approve(claim_id=claim_id, user=request.user)
        return Response(ClaimOutput(claim_answer(claim)).data)


class GuaranteeClaimDeclineApi(APIView):
    """Decline a submitted claim (Operators) with the `reason` the customer reads."""

    permission_classes = [HasStaffPermissions]
    required_permissions = roles.DECLINE_CLAIM

    class DeclineInput(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)

    @extend_schema(request=DeclineInput, responses=ClaimOutput, summary="Decline a Design Guarantee claim")
    def post(self, request, claim_id: int):
        data = _valid(self.DeclineInput, request.data)
        claim = guarantee_claim_decline(claim_id=claim_id, reason=data["reason"], user=request.user)
        return Response(ClaimOutput(claim_answer(claim)).data)
